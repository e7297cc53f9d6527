#define _GNU_SOURCE
#include "CPetrel.h"

#include <pthread.h>
#include <sys/epoll.h>

// Swift cannot use struct epoll_event directly: glibc packs it on x86-64.

static uint32_t events_for(int interest) {
    uint32_t events = EPOLLONESHOT;
    if (interest & PETREL_READY_READ) events |= EPOLLIN | EPOLLRDHUP;
    if (interest & PETREL_READY_WRITE) events |= EPOLLOUT;
    return events;
}

int petrel_poll_create(void) {
    return epoll_create1(EPOLL_CLOEXEC);
}

int petrel_poll_add(int epfd, int fd, int interest, uint64_t token) {
    struct epoll_event event = { .events = events_for(interest), .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int petrel_poll_add_level(int epfd, int fd, uint64_t token) {
    struct epoll_event event = { .events = EPOLLIN, .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
}

int petrel_poll_modify(int epfd, int fd, int interest, uint64_t token) {
    struct epoll_event event = { .events = events_for(interest), .data = { .u64 = token } };
    return epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &event);
}

int petrel_poll_remove(int epfd, int fd) {
    struct epoll_event unused = { 0 };  // kernels before 2.6.9 required one
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &unused);
}

int petrel_poll_wait(int epfd, uint64_t *tokens, int *ready, int capacity, int timeout_ms) {
    struct epoll_event events[256];
    if (capacity > 256) capacity = 256;
    int count = epoll_wait(epfd, events, capacity, timeout_ms);
    for (int i = 0; i < count; i++) {
        uint32_t e = events[i].events;
        int bits = 0;
        if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) bits |= PETREL_READY_READ;
        if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR)) bits |= PETREL_READY_WRITE;
        tokens[i] = events[i].data.u64;
        ready[i] = bits;
    }
    return count;
}

void petrel_name_this_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}
