"""A customer's access export answered as a zip file, for the rights page and the API alike:
written whole before the answer starts (an error is still answered as an error, not a broken
download), then sent in chunks."""

from __future__ import annotations

import tempfile

from aiohttp import web

from inbox.usecases.customer_rights import RightsRequest
from web.keys import services_of

# An export up to this size stays in memory on its way out; a larger one goes to a
# temporary file, so a customer with years of messages costs disk, not memory.
IN_MEMORY = 4 * 1024 * 1024
CHUNK = 64 * 1024


async def send_customer_export(
    request: web.Request, asked: RightsRequest, customer_id: int
) -> web.StreamResponse:
    with tempfile.SpooledTemporaryFile(max_size=IN_MEMORY) as file:
        await services_of(request).customer_rights.export(asked, customer_id, file)
        size = file.tell()
        file.seek(0)
        response = web.StreamResponse(
            headers={
                "Content-Type": "application/zip",
                "Content-Disposition": f'attachment; filename="customer-{customer_id}.zip"',
                "Content-Length": str(size),
                "Cache-Control": "no-store",
            }
        )
        await response.prepare(request)
        while chunk := file.read(CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response
