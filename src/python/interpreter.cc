// placeholder, replaced by the interpreter lifetime code
