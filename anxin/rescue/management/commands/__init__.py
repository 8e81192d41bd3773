"""``manage.py`` commands of the rescue app."""
