"""A small chat relay service with the asyncio mistakes asynclint finds. Do not copy it."""
