"""The ``recsys`` command line, a thin face over the library for HR data teams: one module
per command group (:mod:`.main` lists them), the shared console, options and file output,
and the user-facing text in Bahasa Indonesia and English (:mod:`.messages`)."""
