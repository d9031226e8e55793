"""The command-centre wall mounted under /live and which feeds an operator may watch."""
