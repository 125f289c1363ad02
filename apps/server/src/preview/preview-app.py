# Test app run inside a sandbox by preview.test.ts: files from the cwd, /echo answers the request
# as JSON, and a minimal RFC 6455 echo on any WebSocket upgrade. Every answer names the sandbox
# (X-App: its hostname), so a test can tell which sandbox answered.
import base64, hashlib, json, socket, struct, sys
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'


class Handler(SimpleHTTPRequestHandler):
    def end_headers(self):
        self.send_header('X-App', socket.gethostname())
        super().end_headers()

    def do_GET(self):
        if self.headers.get('Upgrade', '').lower() == 'websocket':
            return self.websocket()
        if self.path.startswith('/echo'):
            return self.echo(b'')
        return super().do_GET()

    def do_POST(self):
        return self.echo(self.rfile.read(int(self.headers.get('Content-Length', 0))))

    def echo(self, body):
        out = json.dumps({
            'method': self.command,
            'path': self.path,
            'headers': {k.lower(): v for k, v in self.headers.items()},
            'body': body.decode(),
        }).encode()
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(out)))
        self.send_header('Set-Cookie', 'paddock_session=stolen')
        self.send_header('Set-Cookie', 'app=1')
        self.end_headers()
        self.wfile.write(out)

    def read(self, n):
        data = self.rfile.read(n)
        if len(data) < n:
            raise EOFError
        return data

    def websocket(self):
        accept = base64.b64encode(
            hashlib.sha1((self.headers['Sec-WebSocket-Key'] + GUID).encode()).digest()).decode()
        lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
                 'Sec-WebSocket-Accept: ' + accept]
        offered = self.headers.get('Sec-WebSocket-Protocol')
        if offered:
            lines.append('Sec-WebSocket-Protocol: ' + offered.split(',')[0].strip())
        self.wfile.write(('\r\n'.join(lines) + '\r\n\r\n').encode())
        self.close_connection = True
        try:
            while True:
                b1, b2 = self.read(2)
                op, n = b1 & 15, b2 & 127
                if n == 126:
                    n = struct.unpack('!H', self.read(2))[0]
                elif n == 127:
                    n = struct.unpack('!Q', self.read(8))[0]
                mask = self.read(4) if b2 & 128 else b'\0\0\0\0'
                data = bytes(x ^ mask[i % 4] for i, x in enumerate(self.read(n)))
                if op == 8:
                    self.wfile.write(b'\x88\x00')
                    return
                if op in (1, 2):
                    reply = b'echo:' + data
                    size = bytes([len(reply)]) if len(reply) < 126 else b'\x7e' + struct.pack('!H', len(reply))
                    self.wfile.write(bytes([0x80 | op]) + size + reply)
        except (EOFError, OSError):
            return


ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), Handler).serve_forever()
