"""Form and query values typed into the pages, and the slips shown once after a POST."""
