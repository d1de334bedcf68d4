"""Staff sign-in: the second factor (an authenticator app, recovery codes),
enrolment links, and the lockout of an account under password guessing.

An app of its own, inside the project package, because it has models; the views
and middleware of the sign-in are in cardinal/twofactor.py.
"""
