#define _GNU_SOURCE 1
#include "CInetLinux.h"
#include <string.h>
#include <sys/syscall.h>

static _Thread_local void *cinet_loop_slot = 0;
int cinet_faults_flag = 0;

void *cinet_current_loop(void) { return cinet_loop_slot; }
void cinet_set_current_loop(void *loop) { cinet_loop_slot = loop; }

int cinet_accept(int fd, struct sockaddr *addr, socklen_t *len, int cloexec) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | (cloexec ? SOCK_CLOEXEC : 0));
}

void cinet_set_thread_name(const char *name) {
    char buffer[16];
    strncpy(buffer, name, 15);
    buffer[15] = 0;
    pthread_setname_np(pthread_self(), buffer);
}

const int CINET_EAI_NODATA = EAI_NODATA;
const int CINET_EAI_ADDRFAMILY = EAI_ADDRFAMILY;

static _Thread_local uint32_t cinet_last_error_slot = 0;
uint32_t cinet_thread_id(void) { return (uint32_t)syscall(SYS_gettid); }
uint32_t cinet_last_error(void) { return cinet_last_error_slot; }
void cinet_set_last_error(uint32_t code) { cinet_last_error_slot = code; }
