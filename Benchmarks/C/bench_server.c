// The fixed peer server of the benchmark suite: one thread, epoll, level-triggered.
//
//   bench_server echo   PORT
//   bench_server sink   PORT TOTAL_BYTES
//   bench_server accept PORT
//   bench_server tls    PORT CERT_PEM KEY_PEM
//
// PORT 0 picks a free port. The server prints "PORT n" on stdout once it listens and serves until
// killed (or ANCHOR_MAX_SECONDS, default 600, pass).
//   echo   writes back every byte it reads (TCP_NODELAY).
//   sink   discards; when a connection has sent TOTAL_BYTES it writes back one byte.
//   accept writes one byte to each accepted connection and closes it.
//   tls    TLS 1.2-1.3 server (OpenSSL, session cache and tickets on their defaults): after the
//          handshake reads one byte, writes one byte, sends close_notify and closes once the
//          client has closed.
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { ECHO, SINK, ACCEPT, TLS };

// Per-connection state, indexed by descriptor.
struct conn {
    long long count;     // sink: bytes received
    char *pending;       // echo: bytes not yet written back
    size_t pending_len;
    SSL *ssl;            // tls
    int tls_state;       // 0 handshake, 1 wait for byte, 2 shutting down
};

#define MAX_FD 65536
static struct conn conns[MAX_FD];
static int ep;
static enum mode mode;
static long long sink_total;
static SSL_CTX *ctx;
static char buf[65536];

static void die(const char *what) {
    perror(what);
    exit(1);
}

static void drop(int fd) {
    struct conn *c = &conns[fd];
    free(c->pending);
    if (c->ssl) SSL_free(c->ssl);
    memset(c, 0, sizeof *c);
    close(fd);  // also leaves the epoll set
}

static void set_events(int fd, unsigned events) {
    struct epoll_event ev = {.events = events, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl mod");
}

// Echo: write back what is pending, then what was read; queue the rest.
static void echo_write(int fd, const char *data, size_t len) {
    struct conn *c = &conns[fd];
    if (c->pending_len == 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0) {
            if (errno != EAGAIN) { drop(fd); return; }
            n = 0;
        }
        if ((size_t)n == len) return;
        data += n;
        len -= (size_t)n;
        set_events(fd, EPOLLIN | EPOLLOUT);
    }
    c->pending = realloc(c->pending, c->pending_len + len);
    memcpy(c->pending + c->pending_len, data, len);
    c->pending_len += len;
}

// Returns 0 when the connection was dropped.
static int echo_flush(int fd) {
    struct conn *c = &conns[fd];
    ssize_t n = write(fd, c->pending, c->pending_len);
    if (n < 0) {
        if (errno != EAGAIN) { drop(fd); return 0; }
        return 1;
    }
    memmove(c->pending, c->pending + n, c->pending_len - (size_t)n);
    c->pending_len -= (size_t)n;
    if (c->pending_len == 0) set_events(fd, EPOLLIN);
    return 1;
}

static void plain_readable(int fd) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n == 0 || (n < 0 && errno != EAGAIN)) { drop(fd); return; }
    if (n < 0) return;
    if (mode == ECHO) {
        echo_write(fd, buf, (size_t)n);
    } else {  // SINK
        conns[fd].count += n;
        if (conns[fd].count == sink_total) {
            char one = 1;
            if (write(fd, &one, 1) != 1) drop(fd);
        }
    }
}

// TLS: drive the handshake, the one-byte exchange and the shutdown as far as the socket allows.
static void tls_step(int fd) {
    struct conn *c = &conns[fd];
    for (;;) {
        int r, err;
        if (c->tls_state == 0) {
            r = SSL_accept(c->ssl);
            if (r == 1) { c->tls_state = 1; continue; }
        } else if (c->tls_state == 1) {
            char b;
            r = SSL_read(c->ssl, &b, 1);
            if (r == 1) {
                if (SSL_write(c->ssl, &b, 1) != 1) { drop(fd); return; }
                SSL_shutdown(c->ssl);  // our close_notify
                c->tls_state = 2;
                continue;
            }
        } else {
            r = SSL_read(c->ssl, buf, sizeof buf);  // until the client's close_notify or EOF
            if (r > 0) continue;
            err = SSL_get_error(c->ssl, r);
            if (err == SSL_ERROR_WANT_READ) return;
            drop(fd);
            return;
        }
        err = SSL_get_error(c->ssl, r);
        if (err == SSL_ERROR_WANT_READ) { set_events(fd, EPOLLIN); return; }
        if (err == SSL_ERROR_WANT_WRITE) { set_events(fd, EPOLLOUT); return; }
        ERR_clear_error();
        drop(fd);
        return;
    }
}

static void accept_all(int listener) {
    for (;;) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EAGAIN || errno == ECONNABORTED) return;
            if (errno == EMFILE || errno == ENFILE) return;
            die("accept4");
        }
        if (fd >= MAX_FD) { close(fd); continue; }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (mode == ACCEPT) {
            char b = 1;
            if (write(fd, &b, 1) != 1) { /* the client went away */ }
            close(fd);
            continue;
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
        if (mode == TLS) {
            conns[fd].ssl = SSL_new(ctx);
            SSL_set_fd(conns[fd].ssl, fd);
            tls_step(fd);
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_server echo|sink|accept|tls PORT [TOTAL_BYTES | CERT KEY]\n");
        return 2;
    }
    if (!strcmp(argv[1], "echo")) mode = ECHO;
    else if (!strcmp(argv[1], "sink") && argc == 4) { mode = SINK; sink_total = atoll(argv[3]); }
    else if (!strcmp(argv[1], "accept")) mode = ACCEPT;
    else if (!strcmp(argv[1], "tls") && argc == 5) mode = TLS;
    else { fprintf(stderr, "bench_server: bad mode or arguments\n"); return 2; }
    signal(SIGPIPE, SIG_IGN);
    const char *max = getenv("ANCHOR_MAX_SECONDS");
    alarm(max ? (unsigned)atoi(max) : 600);

    if (mode == TLS) {
        ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
        if (SSL_CTX_use_certificate_chain_file(ctx, argv[3]) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, argv[4], SSL_FILETYPE_PEM) != 1) {
            ERR_print_errors_fp(stderr);
            return 1;
        }
    }

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener < 0) die("socket");
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[2])),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) < 0) die("bind");
    if (listen(listener, 1024) < 0) die("listen");
    socklen_t len = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &len);
    printf("PORT %d\n", ntohs(addr.sin_port));
    fflush(stdout);

    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
    struct epoll_event events[256];
    for (;;) {
        int n = epoll_wait(ep, events, 256, -1);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int i = 0; i < n; i++) {
            int fd = events[i].data.fd;
            if (fd == listener) { accept_all(listener); continue; }
            if (mode == TLS) { tls_step(fd); continue; }
            if ((events[i].events & EPOLLOUT) && conns[fd].pending_len && !echo_flush(fd)) continue;
            if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) plain_readable(fd);
        }
    }
}
