"""The dashboard's data access and helpers: the only place with SQL (parameterised), formatting and definitions."""
