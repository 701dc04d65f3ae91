"""ASL5xx: other asyncio misuse."""
