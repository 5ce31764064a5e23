"""Services that bridge the asyncio broker layer and Qt."""
