"""RSS per idle connection: `handspun serve`, a tokio echo server, then nginx (1 worker), 10 000 connections each.

    cargo build --release --bin handspun --example peer_tokio_echo && python3 benches/python/idle_memory.py

Opens 10 000 TCP connections from 127.0.0.2 and .3 (nothing sent), reads the
server's VmRSS from /proc, then sends one keep-alive request on each and reads
it again. The tokio peer (benches/peers/tokio_echo.rs) echoes the request
back instead of answering it. nginx (Debian's nginx-light) runs with its own config in /tmp.
docs/benchmarks/http.md, "Many connections on one thread", has the figures.
"""
import socket, subprocess, time, re, os
def rss(pid): return int(re.search(r'VmRSS:\s+(\d+)', open(f'/proc/{pid}/status').read()).group(1))
def hold(port, pid, n=10000):
    before = rss(pid); socks=[]
    for i in range(n):
        s=socket.socket(); s.bind((f"127.0.0.{2+i//5000}",0)); s.connect(("127.0.0.1",port)); socks.append(s)
    time.sleep(1.0); idle = rss(pid)
    for s in socks: s.sendall(b"GET /1k HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in socks: s.recv(4096)
    time.sleep(1.0); kept = rss(pid)
    for s in socks: s.close()
    return before, idle, kept
srv = subprocess.Popen(["target/release/handspun","serve","--addr","127.0.0.1:18555"], stdout=subprocess.PIPE); srv.stdout.readline()
b,i,k = hold(18555, srv.pid); srv.terminate(); srv.wait()
print(f"handspun serve: RSS {b} KiB, 10000 never-sent {i} KiB ({(i-b)*1024/10000:.0f} B each), after one request each {k} KiB ({(k-b)*1024/10000:.0f} B each)")
tk = subprocess.Popen(["target/release/examples/peer_tokio_echo","127.0.0.1:18556"], stdout=subprocess.PIPE); tk.stdout.readline()
b,i,k = hold(18556, tk.pid); tk.terminate(); tk.wait()
print(f"tokio echo (current-thread): RSS {b} KiB, 10000 never-sent {i} KiB ({(i-b)*1024/10000:.0f} B each), after one request each {k} KiB ({(k-b)*1024/10000:.0f} B each)")
os.makedirs('/tmp/ngx_idle/logs', exist_ok=True); os.makedirs('/tmp/ngx_idle/www', exist_ok=True)
open('/tmp/ngx_idle/www/1k','wb').write(bytes(97+j%26 for j in range(1024)))
open('/tmp/ngx_idle/nginx.conf','w').write("""worker_processes 1; daemon off; pid /tmp/ngx_idle/nginx.pid; error_log /tmp/ngx_idle/logs/error.log warn;
worker_rlimit_nofile 20000; events { worker_connections 19000; }
http { access_log off; keepalive_timeout 120s; keepalive_requests 1000000; server { listen 127.0.0.1:18558; root /tmp/ngx_idle/www; location / { } } }""")
ng = subprocess.Popen(["nginx","-c","/tmp/ngx_idle/nginx.conf","-p","/tmp/ngx_idle"]); time.sleep(1)
worker = int(subprocess.check_output(["pgrep","-P",str(ng.pid)]).split()[0])
b,i,k = hold(18558, worker); ng.terminate(); ng.wait()
print(f"nginx 1 worker: RSS {b} KiB, 10000 never-sent {i} KiB ({(i-b)*1024/10000:.0f} B each), after one request each {k} KiB ({(k-b)*1024/10000:.0f} B each)")
