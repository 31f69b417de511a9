// CInetLinux: thin, logic-free shims over Linux APIs that Glibc does not
// export cleanly to Swift (epoll, eventfd, accept4, socket flags, TCP
// constants) plus a thread-local slot for "the loop running on this thread".
#ifndef C_INET_LINUX_H
#define C_INET_LINUX_H


#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <time.h>
#include <stdint.h>
#include <limits.h>
#include <pthread.h>

// epoll
static inline int cinet_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline int cinet_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}
static inline int cinet_epoll_wait(int epfd, struct epoll_event *events, int max, int timeout_ms) {
    return epoll_wait(epfd, events, max, timeout_ms);
}
static inline uint32_t cinet_epoll_event_flags(const struct epoll_event *ev) { return ev->events; }
static inline uint64_t cinet_epoll_event_data(const struct epoll_event *ev) { return ev->data.u64; }
static inline size_t cinet_epoll_event_size(void) { return sizeof(struct epoll_event); }

static const uint32_t CINET_EPOLLIN = EPOLLIN;
static const uint32_t CINET_EPOLLOUT = EPOLLOUT;
static const uint32_t CINET_EPOLLERR = EPOLLERR;
static const uint32_t CINET_EPOLLHUP = EPOLLHUP;
static const uint32_t CINET_EPOLLRDHUP = EPOLLRDHUP;
static const uint32_t CINET_EPOLLET = EPOLLET;
static const int CINET_EPOLL_CTL_ADD = EPOLL_CTL_ADD;
static const int CINET_EPOLL_CTL_DEL = EPOLL_CTL_DEL;
static const int CINET_EPOLL_CTL_MOD = EPOLL_CTL_MOD;

// eventfd
static inline int cinet_eventfd(void) { return eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); }

// sockets
static const int CINET_SOCK_STREAM = SOCK_STREAM;
static const int CINET_SOCK_DGRAM = SOCK_DGRAM;
static const int CINET_SOCK_NONBLOCK = SOCK_NONBLOCK;
static const int CINET_SOCK_CLOEXEC = SOCK_CLOEXEC;
static const int CINET_IPPROTO_TCP = IPPROTO_TCP;
static const int CINET_IPPROTO_UDP = IPPROTO_UDP;
static const int CINET_TCP_NODELAY = TCP_NODELAY;
static const int CINET_TCP_KEEPIDLE = TCP_KEEPIDLE;
static const int CINET_TCP_KEEPINTVL = TCP_KEEPINTVL;
static const int CINET_TCP_KEEPCNT = TCP_KEEPCNT;
static const int CINET_TCP_USER_TIMEOUT = TCP_USER_TIMEOUT;
static const int CINET_IPV6_V6ONLY = IPV6_V6ONLY;
static const int CINET_MSG_NOSIGNAL = MSG_NOSIGNAL;
static const int CINET_IOV_MAX = 1024; /* IOV_MAX on Linux */
static const int CINET_SHUT_RD = SHUT_RD;
static const int CINET_SHUT_WR = SHUT_WR;
static const int CINET_SHUT_RDWR = SHUT_RDWR;

static inline int cinet_socket(int domain, int type, int cloexec) {
    return socket(domain, type | SOCK_NONBLOCK | (cloexec ? SOCK_CLOEXEC : 0), 0);
}
// accept4 with SOCK_NONBLOCK (and SOCK_CLOEXEC when cloexec).
int cinet_accept(int fd, struct sockaddr *addr, socklen_t *len, int cloexec);
// Names the calling thread (at most 15 bytes are kept).
void cinet_set_thread_name(const char *name);
// GNU getaddrinfo codes Glibc's Swift module does not show.
extern const int CINET_EAI_NODATA;
extern const int CINET_EAI_ADDRFAMILY;
static inline ssize_t cinet_send(int fd, const void *buf, size_t len) {
    return send(fd, buf, len, MSG_NOSIGNAL);
}
static inline ssize_t cinet_sendmsg_iov(int fd, const struct iovec *iov, int count) {
    struct msghdr msg = {0};
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = (size_t)count;
    return sendmsg(fd, &msg, MSG_NOSIGNAL);
}
static inline int cinet_errno(void) { return errno; }
static inline void cinet_set_errno(int value) { errno = value; }
static inline ssize_t cinet_recv_peek(int fd, void *buf, size_t len) {
    return recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
}
static inline int cinet_bytes_waiting(int fd, int *count) { return ioctl(fd, FIONREAD, count); }

// Scripted syscall faults (tests): one relaxed load on each socket call while none is set.
extern int cinet_faults_flag;
static inline int cinet_faults_active(void) { return __atomic_load_n(&cinet_faults_flag, __ATOMIC_RELAXED); }
static inline void cinet_set_faults_active(int on) { __atomic_store_n(&cinet_faults_flag, on, __ATOMIC_RELAXED); }

// clocks
static inline uint64_t cinet_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

// The event loop running on the current thread, or NULL. Set once by each loop thread.
void *cinet_current_loop(void);
void cinet_set_current_loop(void *loop);

// The calling thread's kernel id (gettid), and the legacy API's per-thread last error.
uint32_t cinet_thread_id(void);
uint32_t cinet_last_error(void);
void cinet_set_last_error(uint32_t code);

// getaddrinfo helpers (flags as ints; struct field access stays in Swift).
static const int CINET_AI_NUMERICHOST = AI_NUMERICHOST;
static const int CINET_AI_NUMERICSERV = AI_NUMERICSERV;

#endif
