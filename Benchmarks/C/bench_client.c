// The C reference client: every workload of the suite, one thread, non-blocking sockets and
// level-triggered epoll (TLS: blocking sockets, OpenSSL). Same command line as inet-bench and
// nio-bench:
//
//   bench_client [--resume] pingpong   HOST PORT ROUNDTRIPS
//   bench_client [--resume] stream     HOST PORT TOTAL_BYTES CHUNK_BYTES
//   bench_client [--resume] connrate   HOST PORT CONNECTIONS
//   bench_client [--resume] concurrent HOST PORT ROUNDTRIPS CONNS
//   bench_client [--resume] tls        HOST PORT HANDSHAKES CA_PEM
//
// Prints one line `RESULT workload=W impl=c count=N secs=S METRIC=X` and exits 0. --resume
// makes tls resume the first session (the "tls-resumed" line). Stops after ANCHOR_MAX_SECONDS
// (default 120).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_in server;
static int ep;

static void die(const char *what) {
    perror(what);
    exit(1);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void result(const char *workload, long long count, double secs, const char *metric, double value) {
    printf("RESULT workload=%s impl=c count=%lld secs=%.3f %s=%.4f\n", workload, count, secs, metric, value);
}

// socket + TCP_NODELAY + non-blocking connect (returns while it is in progress).
static int start_connect(int flags) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
    if (fd < 0) die("socket");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&server, sizeof server) < 0 && errno != EINPROGRESS) die("connect");
    return fd;
}

static void wait_for(int fd, unsigned events) {
    struct epoll_event ev = {.events = events, .data.fd = fd}, out;
    if (epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev) < 0) die("epoll_ctl");
    while (epoll_wait(ep, &out, 1, -1) < 1) {
        if (errno != EINTR) die("epoll_wait");
    }
    if (out.events & EPOLLERR) { errno = ECONNREFUSED; die("connect"); }
}

// A connected, registered socket (waits for the connect to finish).
static int open_connection(void) {
    int fd = start_connect(SOCK_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLOUT, .data.fd = fd};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl add");
    wait_for(fd, EPOLLOUT);
    struct epoll_event in = {.events = EPOLLIN, .data.fd = fd};
    epoll_ctl(ep, EPOLL_CTL_MOD, fd, &in);
    return fd;
}

static void pingpong(long long roundtrips) {
    int fd = open_connection();
    char msg[64], in[64];
    memset(msg, 'p', sizeof msg);
    struct epoll_event ev;
    double start = now();
    for (long long i = 0; i < roundtrips; i++) {
        if (write(fd, msg, 64) != 64) die("write");
        size_t got = 0;
        while (got < 64) {
            if (epoll_wait(ep, &ev, 1, -1) < 1) continue;
            ssize_t n = read(fd, in + got, 64 - got);
            if (n == 0) { fprintf(stderr, "server closed\n"); exit(1); }
            if (n < 0) { if (errno == EAGAIN) continue; die("read"); }
            got += (size_t)n;
        }
    }
    double secs = now() - start;
    result("pingpong", roundtrips, secs, "rt_per_s", (double)roundtrips / secs);
    close(fd);
}

static void stream(long long total, long long chunk) {
    int fd = open_connection();
    char *data = malloc((size_t)chunk);
    memset(data, 's', (size_t)chunk);
    double start = now();
    long long sent = 0, off = 0;
    struct epoll_event ev;
    while (sent < total) {
        size_t want = (size_t)(chunk - off);
        if ((long long)want > total - sent) want = (size_t)(total - sent);
        ssize_t n = write(fd, data + off, want);
        if (n < 0) {
            if (errno != EAGAIN) die("write");
            wait_for(fd, EPOLLOUT);
            continue;
        }
        sent += n;
        off = (off + n) % chunk;
    }
    wait_for(fd, EPOLLIN);
    char one;
    while (read(fd, &one, 1) != 1) {
        if (errno != EAGAIN) die("read ack");
        epoll_wait(ep, &ev, 1, -1);
    }
    double secs = now() - start;
    result("stream", total, secs, "gb_per_s", (double)total / secs / 1e9);
    free(data);
    close(fd);
}

static void connrate(long long connections) {
    struct epoll_event ev;
    char b;
    double start = now();
    for (long long i = 0; i < connections; i++) {
        int fd = start_connect(SOCK_NONBLOCK);
        struct epoll_event in = {.events = EPOLLIN, .data.fd = fd};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &in) < 0) die("epoll_ctl add");
        for (;;) {
            if (epoll_wait(ep, &ev, 1, -1) < 1) continue;
            ssize_t n = read(fd, &b, 1);
            if (n == 1) break;
            if (n == 0 || errno != EAGAIN) die("connrate read");
        }
        close(fd);
    }
    double secs = now() - start;
    result("connrate", connections, secs, "conn_per_s", (double)connections / secs);
}

static void concurrent(long long roundtrips, int conns) {
    int *fds = calloc((size_t)conns, sizeof(int));
    long long *left = calloc((size_t)conns, sizeof(long long));
    size_t *got = calloc((size_t)conns, sizeof(size_t));
    for (int i = 0; i < conns; i++) {
        fds[i] = open_connection();
        struct epoll_event in = {.events = EPOLLIN, .data.u32 = (unsigned)i};
        epoll_ctl(ep, EPOLL_CTL_MOD, fds[i], &in);
        left[i] = roundtrips / conns + (i < roundtrips % conns ? 1 : 0);
    }
    char msg[64], in[64];
    memset(msg, 'c', sizeof msg);
    struct epoll_event events[256];
    double start = now();
    int active = 0;
    for (int i = 0; i < conns; i++) {
        if (left[i] == 0) continue;
        active++;
        if (write(fds[i], msg, 64) != 64) die("write");
    }
    while (active > 0) {
        int n = epoll_wait(ep, events, 256, -1);
        for (int e = 0; e < n; e++) {
            int i = (int)events[e].data.u32;
            ssize_t r = read(fds[i], in, 64 - got[i]);
            if (r <= 0) { if (r < 0 && errno == EAGAIN) continue; die("concurrent read"); }
            got[i] += (size_t)r;
            if (got[i] < 64) continue;
            got[i] = 0;
            if (--left[i] == 0) { active--; continue; }
            if (write(fds[i], msg, 64) != 64) die("write");
        }
    }
    double secs = now() - start;
    result("concurrent", roundtrips, secs, "rt_per_s", (double)roundtrips / secs);
    for (int i = 0; i < conns; i++) close(fds[i]);
}

static void tls(long long handshakes, const char *host, const char *ca, int resume) {
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) { ERR_print_errors_fp(stderr); exit(1); }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (resume) SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
    SSL_SESSION *session = NULL;
    long long resumed = 0;
    double start = now();
    for (long long i = 0; i < handshakes; i++) {
        int fd = start_connect(0);
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
        if (session) SSL_set_session(ssl, session);
        if (SSL_connect(ssl) != 1) { ERR_print_errors_fp(stderr); exit(1); }
        char b = 't';
        if (SSL_write(ssl, &b, 1) != 1 || SSL_read(ssl, &b, 1) != 1) { ERR_print_errors_fp(stderr); exit(1); }
        if (SSL_session_reused(ssl)) resumed++;
        if (resume) {  // the newest ticket (read with the byte) for the next connect
            if (session) SSL_SESSION_free(session);
            session = SSL_get1_session(ssl);
        }
        if (SSL_shutdown(ssl) == 0) SSL_shutdown(ssl);  // ours, then wait for the server's
        SSL_free(ssl);
        close(fd);
    }
    double secs = now() - start;
    if (resume && resumed < handshakes - 1) {
        fprintf(stderr, "only %lld of %lld handshakes resumed\n", resumed, handshakes);
        exit(1);
    }
    result(resume ? "tls-resumed" : "tls", handshakes, secs, "hs_per_s", (double)handshakes / secs);
    if (session) SSL_SESSION_free(session);
    SSL_CTX_free(ctx);
}

int main(int argc, char **argv) {
    int resume = 0;
    if (argc > 1 && !strcmp(argv[1], "--resume")) { resume = 1; argv++; argc--; }
    if (argc < 5) {
        fprintf(stderr, "usage: bench_client [--resume] pingpong|stream|connrate|concurrent|tls HOST PORT ...\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    const char *max = getenv("ANCHOR_MAX_SECONDS");
    alarm(max ? (unsigned)atoi(max) : 120);
    server.sin_family = AF_INET;
    server.sin_port = htons((unsigned short)atoi(argv[3]));
    if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", argv[2]); return 2; }
    ep = epoll_create1(EPOLL_CLOEXEC);
    const char *w = argv[1];
    long long n = atoll(argv[4]);
    if (!strcmp(w, "pingpong")) pingpong(n);
    else if (!strcmp(w, "stream") && argc == 6) stream(n, atoll(argv[5]));
    else if (!strcmp(w, "connrate")) connrate(n);
    else if (!strcmp(w, "concurrent") && argc == 6) concurrent(n, atoi(argv[5]));
    else if (!strcmp(w, "tls") && argc == 6) tls(n, argv[2], argv[5], resume);
    else { fprintf(stderr, "bench_client: unknown workload or arguments\n"); return 2; }
    return 0;
}
