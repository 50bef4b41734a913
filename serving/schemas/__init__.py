"""The API's bodies: what clients send (``requests``) and what the API answers
(``responses``), kept apart."""
