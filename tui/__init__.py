"""The Textual app. Gets its services through its constructor; never imports paperplan."""
