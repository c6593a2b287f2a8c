"""Infrastructure every app may import: the Redis client and key prefix, shared send rates, signing.

Nothing here knows about campaigns, channels or the API; they all build on it.
"""
