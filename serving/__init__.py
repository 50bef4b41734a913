"""The HTTP API over the recsys library (FastAPI), laid out as FastAPI's full-stack template:
``main.create_app`` builds the app, ``api/routes/`` holds one router per resource,
``api/deps.py`` the dependencies they share, ``core/config.py`` the settings, ``schemas/``
the request and response bodies. Around them: ``access/`` (keys, widget tokens, rate
limits, audit), ``middleware/``, ``generation/`` (what is served, precomputed) and
``portal/`` (the demo portal). ``python -m serving`` runs it."""
