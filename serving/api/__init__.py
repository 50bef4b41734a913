"""The HTTP surface: one router per resource (``routes/``), the dependencies they share
(``deps``) and the errors every route may answer (``errors``)."""
