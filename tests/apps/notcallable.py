"""`notcallable:app` names something that is not callable."""
app = 42
