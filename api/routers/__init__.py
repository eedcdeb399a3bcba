"""The API's routers: every procedure's (from the registry), case reads, BCH publications and the
public register."""
