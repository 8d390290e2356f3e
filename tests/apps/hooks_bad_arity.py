"""A config file with a hook of the wrong arity: post_fork takes two
arguments (server, worker), this one takes one. Refused when it loads."""


def post_fork(server):
    pass
