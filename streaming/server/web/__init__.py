"""The live server over HTTP: the app, its routes (WHIP/WHEP, the wall, public HLS), the one error
table, body limits and the header-read timeout."""
