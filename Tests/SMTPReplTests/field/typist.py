# typist.py PROGRAM ARGS... -- LINE...
# Runs PROGRAM (openssl s_client, telnet) in a pseudo-terminal and types each LINE the way a
# person does: once the previous reply has come, with the terminal echoing it, so that what it
# prints is the terminal session a user copies. Everything bounded by 10 s timeouts.
import os, pty, sys, time, select
argv = sys.argv[1:sys.argv.index('--')]
lines = sys.argv[sys.argv.index('--')+1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(argv[0], argv)
out = b''
def read_until(pred, timeout=10):
    global out
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try: data = os.read(fd, 65536)
            except OSError: return False
            if not data: return False
            out += data
            sys.stdout.buffer.write(data); sys.stdout.flush()
            if pred(): return True
    return False
import re
def reply_done(start):
    tail = out[start:].decode('utf-8', 'replace').replace('\r', '')
    return re.search(r'(^|\n)\d{3}( [^\n]*)?\n', tail) is not None
start = 0
read_until(lambda: reply_done(0) or b'---\n' in out.replace(b'\r', b'') and b'Verify return' in out, 10)
time.sleep(0.3)
read_until(lambda: False, 0.5)
in_content = False
for line in lines:
    start = len(out)
    os.write(fd, line.encode() + b'\r')
    if in_content and line != '.':
        # Message content gets no reply: wait only for the terminal's echo.
        read_until(lambda: len(out) > start + len(line), 2)
        continue
    in_content = False
    read_until(lambda: reply_done(start + len(line) + 1), 10)
    if line.upper() == 'DATA' and b'354' in out[start:]:
        in_content = True
read_until(lambda: False, 1)
