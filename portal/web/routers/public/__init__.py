"""Routes anyone may reach: notices, replays, sign-in, assets, API docs."""
