"""What the API serves: one generation of data, models and everybody's precomputed answers,
loaded at start-up and swapped whole on reload."""
