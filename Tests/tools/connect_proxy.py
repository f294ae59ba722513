"""A minimal HTTP CONNECT proxy on loopback for the CSC client's proxy test.

Usage: connect_proxy.py LOGFILE. Prints "PORT n" first; appends each tunnel's target
(host:port) to LOGFILE. Tunnels to loopback only; anything but CONNECT gets 405.
"""
import asyncio
import sys


async def pipe(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def refuse(writer, status):
    writer.write(f"HTTP/1.1 {status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    writer.close()


def handler(log):
    async def handle(reader, writer):
        request = (await reader.readline()).decode("latin-1").split()
        while (await reader.readline()) not in (b"\r\n", b"\n", b""):
            pass
        if len(request) < 2 or request[0] != "CONNECT":
            return await refuse(writer, "405 Method Not Allowed")
        host, _, port = request[1].rpartition(":")
        if host not in ("127.0.0.1", "localhost") or not port.isdigit():
            return await refuse(writer, "403 Forbidden")
        log.write(request[1] + "\n")
        log.flush()
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            return await refuse(writer, "502 Bad Gateway")
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    return handle


async def main():
    with open(sys.argv[1], "a") as log:
        server = await asyncio.start_server(handler(log), "127.0.0.1", 0)
        print("PORT", server.sockets[0].getsockname()[1], flush=True)
        async with server:
            await server.serve_forever()


asyncio.run(main())
