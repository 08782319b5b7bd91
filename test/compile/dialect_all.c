/* SPDX-License-Identifier: MIT */
/* Must compile without a warning in every dialect of the matrix in
 * test/CMakeLists.txt (C99, C11, C17 and clang -Weverything; C++11, C++17
 * and C++20; each with gcc and clang): the umbrella header, with every
 * public macro and every public inline function used at least once, so that
 * a macro whose expansion one dialect refuses, or an inline body one
 * language rejects, fails here. test/compile/dialect_coverage.sh checks that
 * each of them is named in this file. Compiled only, never run. */
#include <memregion.h>

MR_STATIC_ASSERT(MR_HOST_LITTLE_ENDIAN == 0 || MR_HOST_LITTLE_ENDIAN == 1, "at file scope");
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
/* C99 has no max_align_t: MR_ALIGN_DEFAULT is computed there from the types
 * it is made of, which must give the same alignment. */
MR_STATIC_ASSERT(MR__ALIGN_MAX_C99 == MR_ALIGN_DEFAULT, "C99's MR_ALIGN_DEFAULT is max_align_t's");
#endif

MR_API int dialect_exported(void);
MR_NODISCARD int dialect_checked(void);
int dialect_old(void) MR_DEPRECATED("use dialect_exported");
MR_INLINE int dialect_inline(int x) { return x + 1; }

struct dialect_hdr {
    uint32_t magic;
    uint32_t len;
};

static const long long dialect_constants[] = {
    (long long)MR_ADDR_REASON_MAX,
    (long long)MR_ADDR_TEXT_MAX,
    (long long)MR_ADDR_UNIX_MAX,
    (long long)MR_ALIGN_DEFAULT,
    (long long)MR_ARRAY_FIT,
    (long long)MR_CHAN_CAPACITY_MAX,
    (long long)MR_CHAN_CAPACITY_MIN,
    (long long)MR_CHAN_DEATH_CHECK_MS,
    (long long)MR_CHAN_FENCED,
    (long long)MR_CHAN_MSG_ALIGN,
    (long long)MR_CHAN_MSG_OVERHEAD,
    (long long)MR_CHAN_NO_SEALS,
    (long long)MR_FIELD_OVERLAP,
    (long long)MR_FOREVER,
    (long long)MR_HOST_LITTLE_ENDIAN,
    (long long)MR_IOBUF_ZERO,
    (long long)MR_LAYOUT_MAX_DEPTH,
    (long long)MR_LAYOUT_MAX_FIELDS,
    (long long)MR_LAYOUT_MAX_NAME,
    (long long)MR_LAYOUT_REASON_MAX,
    (long long)MR_MAP_ASYNC,
    (long long)MR_MAP_EXCL,
    (long long)MR_MAP_NO_FD,
    (long long)MR_MAP_POPULATE,
    (long long)MR_MAP_SYNC,
    (long long)MR_MAP_TO_END,
    (long long)MR_PAGES_GUARD,
    (long long)MR_REGION_RDONLY,
    (long long)MR_SEAL_ALL,
    (long long)MR_SEAL_FUTURE_WRITE,
    (long long)MR_SEAL_GROW,
    (long long)MR_SEAL_SEAL,
    (long long)MR_SEAL_SHRINK,
    (long long)MR_SEAL_WRITE,
    (long long)MR_SHM_ANON,
    (long long)MR_SHM_CREATED,
    (long long)MR_SHM_MAP_POPULATE,
    (long long)MR_SHM_MAP_RDONLY,
    (long long)MR_SHM_MEMFD,
    (long long)MR_SHM_NAME_MAX,
    (long long)MR_SHM_RDWR,
    (long long)MR_SHM_READ,
    (long long)MR_SHM_TO_END,
    (long long)MR_SOCK_BATCH_MAX,
    (long long)MR_SOCK_FDS_MAX,
    (long long)MR_SOCK_NONBLOCKING,
    (long long)MR_SOCK_NO_REUSEADDR,
    (long long)MR_SOCK_OWNS_PATH,
    (long long)MR_SOCK_PASSIVE,
    (long long)MR_SOCK_READABLE,
    (long long)MR_SOCK_REUSEADDR,
    (long long)MR_SOCK_REUSEPORT,
    (long long)MR_SOCK_V6ONLY,
    (long long)MR_SOCK_WRITABLE,
    (long long)MR_TYPE_NAME_MAX,
    (long long)MR_VALUE_FMT_DIG,
    (long long)MR_VALUE_FMT_JSON,
    (long long)MR_VALUE_TEXT_MAX,
    (long long)MR_VERSION_HEX,
    (long long)MR_VERSION_MAJOR,
    (long long)MR_VERSION_MINOR,
    (long long)MR_VERSION_PATCH,
};
static const char dialect_version[] = MR_VERSION_STRING;

/* Every typed access of one type and byte order: sap, region and cursor. */
#define USE_TYPE(type, load, store, get, set, read, write)                      \
    do {                                                                        \
        type v_ = load(buf, 0);                                                 \
        store(buf, 8, v_);                                                      \
        acc += get(r, 0, &v_);                                                  \
        acc += set(r, 0, v_);                                                   \
        v_ = read(&c);                                                          \
        acc += write(&c, v_);                                                   \
    } while (0)

static long use_all(void)
{
    unsigned char buf[64];
    uint64_t words[4];
    char text[8];
    struct dialect_hdr hdr;
    struct mr_region r, ro, sub;
    struct mr_cursor c;
    struct mr_arena *arena = NULL;
    struct mr_pool *pool = NULL;
    struct mr_array arr;
    struct mr_addr addr;
    struct mr_io_stage st;
    struct mr_shm_stat sst;
    struct mr_map map = MR_MAP_INIT;
    struct mr_shm shm = MR_SHM_INIT;
    struct mr_sock sock = MR_SOCK_INIT;
    struct mr_chan chan = MR_CHAN_INIT;
    struct mr_svc svc = MR_SVC_INIT;
    struct mr_svc_conn conn = MR_SVC_CONN_INIT;
    void *p;
    uint32_t e32 = 0;
    uint64_t e64 = 0;
    uint64_t uacc = 0;
    long acc = 0;

    MR_STATIC_ASSERT(sizeof(struct dialect_hdr) == 8, "at block scope");
    memset(buf, 0, sizeof buf);
    memset(words, 0, sizeof words);
    memset(text, 0, sizeof text);
    memset(&hdr, 0, sizeof hdr);
    memset(&arr, 0, sizeof arr);
    memset(&addr, 0, sizeof addr);
    memset(&st, 0, sizeof st);
    memset(&sst, 0, sizeof sst);

    /* base */
    acc += dialect_inline(1) + (long)(dialect_constants[0] + dialect_version[0]);
    if (MR_LIKELY(acc > 0))
        acc++;
    if (MR_UNLIKELY(acc < 0))
        acc--;

    /* sap */
    uacc += mr_sap_to_int(buf);
    p = mr_sap_from_int(mr_sap_to_int(buf));
    p = mr_sap_add(p, 1);
    acc += mr_sap_diff(p, buf) + mr_sap_cmp(p, buf) + mr_sap_eq(p, buf) + mr_sap_lt(p, buf);
    uacc += mr_bswap8(1);
    uacc += mr_bswap16(1);
    uacc += mr_bswap32(1);
    uacc += mr_bswap64(1);
    p = mr_load_ptr(buf, 0);
    mr_store_ptr(buf, 8, p);
    uacc += mr_atomic_load_acq_u32(words, 0) + mr_atomic_load_relaxed_u32(words, 0);
    mr_atomic_store_rel_u32(words, 0, 1);
    acc += mr_atomic_cas_u32(words, 0, &e32, 2);
    uacc += mr_atomic_fetch_add_u32(words, 0, 1);
    uacc += mr_atomic_load_acq_u64(words, 8) + mr_atomic_load_relaxed_u64(words, 8);
    mr_atomic_store_rel_u64(words, 8, 1);
    acc += mr_atomic_cas_u64(words, 8, &e64, 2);
    uacc += mr_atomic_fetch_add_u64(words, 8, 1);

    /* region */
    r = MR_REGION_OF_ARRAY(buf);
    ro = MR_REGION_OF(hdr);
    ro = mr_region_make_ro(text, sizeof text);
    ro = mr_region_ro(mr_region_make(text, sizeof text));
    acc += mr_region_is_ro(ro) + mr_region_fits(r, 0, 4);
    acc += mr_region_sub(r, 0, 4, &sub) + mr_region_tail(r, 4, &sub);
    acc += mr_region_get_ptr(r, 0, &p) + mr_region_set_ptr(r, 0, p);

    /* cursor, and every typed access */
    mr_cursor_init(&c, r);
    USE_TYPE(uint8_t, mr_load_u8, mr_store_u8, mr_region_get_u8, mr_region_set_u8,
             mr_cursor_read_u8, mr_cursor_write_u8);
    USE_TYPE(uint8_t, mr_load_u8le, mr_store_u8le, mr_region_get_u8le, mr_region_set_u8le,
             mr_cursor_read_u8le, mr_cursor_write_u8le);
    USE_TYPE(uint8_t, mr_load_u8be, mr_store_u8be, mr_region_get_u8be, mr_region_set_u8be,
             mr_cursor_read_u8be, mr_cursor_write_u8be);
    USE_TYPE(uint16_t, mr_load_u16, mr_store_u16, mr_region_get_u16, mr_region_set_u16,
             mr_cursor_read_u16, mr_cursor_write_u16);
    USE_TYPE(uint16_t, mr_load_u16le, mr_store_u16le, mr_region_get_u16le, mr_region_set_u16le,
             mr_cursor_read_u16le, mr_cursor_write_u16le);
    USE_TYPE(uint16_t, mr_load_u16be, mr_store_u16be, mr_region_get_u16be, mr_region_set_u16be,
             mr_cursor_read_u16be, mr_cursor_write_u16be);
    USE_TYPE(uint32_t, mr_load_u32, mr_store_u32, mr_region_get_u32, mr_region_set_u32,
             mr_cursor_read_u32, mr_cursor_write_u32);
    USE_TYPE(uint32_t, mr_load_u32le, mr_store_u32le, mr_region_get_u32le, mr_region_set_u32le,
             mr_cursor_read_u32le, mr_cursor_write_u32le);
    USE_TYPE(uint32_t, mr_load_u32be, mr_store_u32be, mr_region_get_u32be, mr_region_set_u32be,
             mr_cursor_read_u32be, mr_cursor_write_u32be);
    USE_TYPE(uint64_t, mr_load_u64, mr_store_u64, mr_region_get_u64, mr_region_set_u64,
             mr_cursor_read_u64, mr_cursor_write_u64);
    USE_TYPE(uint64_t, mr_load_u64le, mr_store_u64le, mr_region_get_u64le, mr_region_set_u64le,
             mr_cursor_read_u64le, mr_cursor_write_u64le);
    USE_TYPE(uint64_t, mr_load_u64be, mr_store_u64be, mr_region_get_u64be, mr_region_set_u64be,
             mr_cursor_read_u64be, mr_cursor_write_u64be);
    USE_TYPE(int8_t, mr_load_i8, mr_store_i8, mr_region_get_i8, mr_region_set_i8,
             mr_cursor_read_i8, mr_cursor_write_i8);
    USE_TYPE(int8_t, mr_load_i8le, mr_store_i8le, mr_region_get_i8le, mr_region_set_i8le,
             mr_cursor_read_i8le, mr_cursor_write_i8le);
    USE_TYPE(int8_t, mr_load_i8be, mr_store_i8be, mr_region_get_i8be, mr_region_set_i8be,
             mr_cursor_read_i8be, mr_cursor_write_i8be);
    USE_TYPE(int16_t, mr_load_i16, mr_store_i16, mr_region_get_i16, mr_region_set_i16,
             mr_cursor_read_i16, mr_cursor_write_i16);
    USE_TYPE(int16_t, mr_load_i16le, mr_store_i16le, mr_region_get_i16le, mr_region_set_i16le,
             mr_cursor_read_i16le, mr_cursor_write_i16le);
    USE_TYPE(int16_t, mr_load_i16be, mr_store_i16be, mr_region_get_i16be, mr_region_set_i16be,
             mr_cursor_read_i16be, mr_cursor_write_i16be);
    USE_TYPE(int32_t, mr_load_i32, mr_store_i32, mr_region_get_i32, mr_region_set_i32,
             mr_cursor_read_i32, mr_cursor_write_i32);
    USE_TYPE(int32_t, mr_load_i32le, mr_store_i32le, mr_region_get_i32le, mr_region_set_i32le,
             mr_cursor_read_i32le, mr_cursor_write_i32le);
    USE_TYPE(int32_t, mr_load_i32be, mr_store_i32be, mr_region_get_i32be, mr_region_set_i32be,
             mr_cursor_read_i32be, mr_cursor_write_i32be);
    USE_TYPE(int64_t, mr_load_i64, mr_store_i64, mr_region_get_i64, mr_region_set_i64,
             mr_cursor_read_i64, mr_cursor_write_i64);
    USE_TYPE(int64_t, mr_load_i64le, mr_store_i64le, mr_region_get_i64le, mr_region_set_i64le,
             mr_cursor_read_i64le, mr_cursor_write_i64le);
    USE_TYPE(int64_t, mr_load_i64be, mr_store_i64be, mr_region_get_i64be, mr_region_set_i64be,
             mr_cursor_read_i64be, mr_cursor_write_i64be);
    USE_TYPE(float, mr_load_f32, mr_store_f32, mr_region_get_f32, mr_region_set_f32,
             mr_cursor_read_f32, mr_cursor_write_f32);
    USE_TYPE(float, mr_load_f32le, mr_store_f32le, mr_region_get_f32le, mr_region_set_f32le,
             mr_cursor_read_f32le, mr_cursor_write_f32le);
    USE_TYPE(float, mr_load_f32be, mr_store_f32be, mr_region_get_f32be, mr_region_set_f32be,
             mr_cursor_read_f32be, mr_cursor_write_f32be);
    USE_TYPE(double, mr_load_f64, mr_store_f64, mr_region_get_f64, mr_region_set_f64,
             mr_cursor_read_f64, mr_cursor_write_f64);
    USE_TYPE(double, mr_load_f64le, mr_store_f64le, mr_region_get_f64le, mr_region_set_f64le,
             mr_cursor_read_f64le, mr_cursor_write_f64le);
    USE_TYPE(double, mr_load_f64be, mr_store_f64be, mr_region_get_f64be, mr_region_set_f64be,
             mr_cursor_read_f64be, mr_cursor_write_f64be);
    acc += mr_cursor_read_exact(&c, text, 2) + mr_cursor_write_bytes(&c, text, 2);
    uacc += mr_cursor_read_uleb128(&c);
    acc += (long)mr_cursor_tell(&c) + (long)mr_cursor_remaining(&c) + mr_cursor_error(&c);
    acc += mr_cursor_has(&c, 1);
    acc += mr_cursor_read_sleb128(&c);

    /* alloc */
    if (arena != NULL && mr_arena_alloc(arena, 16, MR_ALIGN_DEFAULT, &sub) == 0)
        mr_free(mr_arena_allocator(arena), sub);
    if (pool != NULL && mr_pool_alloc(pool, &sub) == 0)
        mr_pool_free(pool, sub);

    /* view, iobuf, map, shm, addr, sock, chan */
    uacc += mr_array_count(&arr);
    acc += mr_io_stage_is_staged(&st);
    acc += (long)sst.atime.tv_sec + (long)sst.mtime.tv_nsec + (long)sst.ctime.tv_sec;
    mr_shm_unmap(&map);
    acc += shm.fd;
    acc += mr_addr_family(&addr) + addr.sa.sa_family + addr.in4.sin_family +
           addr.in6.sin6_family + addr.un.sun_family + addr.storage.ss_family;
    acc += sock.fd;
    if (chan.fd >= 0) {
        acc += mr_chan_try_reserve(&chan, 8, &sub) + mr_chan_try_send(&chan, r);
        acc += mr_chan_try_peek(&chan, &sub) + mr_chan_try_recv(&chan, r);
        acc += mr_chan_reserve_inline(&chan, 8, 0, &sub) + mr_chan_commit_inline(&chan, 8);
        acc += mr_chan_send_inline(&chan, r, 0) + mr_chan_recv_inline(&chan, r, 0);
        acc += mr_chan_peek_inline(&chan, 0, &sub) + mr_chan_release_inline(&chan);
        acc += (long)MR_CHAN_PREFAULT;
    }
    /* svc */
    acc += svc.listener.fd + conn.sock.fd + conn.tx.fd + conn.rx.fd;
    acc += (long)(MR_SVC_NAME_MAX + MR_SVC_CAPACITY_DEFAULT + MR_SVC_HANDSHAKE_MS);
    acc += (long)(MR_SVC_DUPLEX | MR_SVC_TO_CLIENT | MR_SVC_ANY_UID | MR_SVC_FENCED |
                  MR_SVC_NO_CHANNELS);
    /* topic */
    acc += (long)(MR_TOPIC_RELIABLE + MR_TOPIC_LATEST + (MR_TOPIC_FENCED | MR_TOPIC_ANY_UID) + MR_TOPIC_SUB_LAPPED);
    acc += (long)(MR_TOPIC_CAPACITY_DEFAULT + MR_TOPIC_SUBS_DEFAULT + MR_TOPIC_SUBS_MAX +
                  MR_TOPIC_STALL_DEFAULT_MS + MR_TOPIC_MSG_OVERHEAD);
    return acc + (long)(uacc & 1);
}

int main(void)
{
    return use_all() == 0 ? 0 : 1;
}
