"""Server-rendered pages of the contingency rooms (issue 8): ADT files. Rules live in the rooms' services."""
