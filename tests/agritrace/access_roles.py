"""The six actors of the access matrix and the sets of them that rules allow."""
ACTORS = ("anon", "a", "b", "p", "q", "admin")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# --- who is allowed: the rights of each rule ------------------------------------------
EVERYONE = frozenset(ACTORS)
LOGIN = EVERYONE - {"anon"}
OWNER = frozenset({"a", "p", "admin"})       # A's rows: its producer, P's officials
OWN_WRITE = frozenset({"a", "admin"})         # A's content: officials read, never edit
REVIEW = frozenset({"p", "admin"})            # decisions of the province's officials
OFFICIALS = frozenset({"p", "q", "admin"})    # official pages, of their own province
PRODUCERS = frozenset({"a", "b", "admin"})    # the producers' portal
PRODUCER_ONLY = frozenset({"a", "b"})
SELF = frozenset({"a"})                       # one's own API tokens
ADMIN = frozenset({"admin"})
HANDOVER = frozenset({"a", "b", "p", "admin"})  # A → B: both sides, P's officials (A's, B's)
RECEIVER = frozenset({"b"})                   # only the receiver answers a hand-over
