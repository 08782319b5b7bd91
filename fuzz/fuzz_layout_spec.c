/* SPDX-License-Identifier: MIT */
/* fuzz/fuzz_layout_spec.c: the layout-spec parser on arbitrary bytes.
 *
 * Checked on every input: a refusal is -EINVAL with a reason and a position
 * inside the text. On success: the layout printed as a spec parses back to
 * the same layout and prints the same text; mr_layout_create accepts the
 * same fields; every element type's name (mr_type_format) parses back to
 * the same type and order; an object over a zeroed buffer reads every field,
 * writes and reads back a value, and prints as text and JSON; and, for short
 * inputs, every allocation failure leaves nothing allocated. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <memregion.h>
#include <string.h>

#include "fuzz.h"

/* Objects are printed only up to this size: printing costs a line per
 * element, and the fuzzer's time is better spent on the parser. */
#define MAX_OBJECT 1024
#define MAX_OOM_INPUT 256

static bool same_layout(const struct mr_layout *a, const struct mr_layout *b)
{
    if (mr_layout_size(a) != mr_layout_size(b) ||
        mr_layout_field_count(a) != mr_layout_field_count(b))
        return false;
    for (size_t i = 0; i < mr_layout_field_count(a); i++) {
        const struct mr_field *x = mr_layout_field(a, i), *y = mr_layout_field(b, i);
        if (strcmp(x->name, y->name) != 0 || x->type != y->type || x->order != y->order ||
            x->offset != y->offset || x->count != y->count || x->flags != y->flags)
            return false;
        if ((x->nested == NULL) != (y->nested == NULL))
            return false;
        if (x->nested && !same_layout(x->nested, y->nested))
            return false;
    }
    return true;
}

static char *spec_text(const struct mr_layout *l, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    CHECK(f != NULL);
    CHECK(mr_layout_print(l, f) == 0);
    CHECK(fclose(f) == 0);
    return text;
}

static void check_round_trip(const struct mr_layout *l)
{
    size_t len1, len2;
    char *t1 = spec_text(l, &len1);
    struct mr_layout *again;
    struct mr_layout_error err;
    int rc = mr_layout_parse(NULL, t1, len1, &again, &err);
    if (rc != 0) {
        fprintf(stderr, "printed spec does not parse: %s at %zu\n%s", err.reason, err.pos, t1);
        abort();
    }
    CHECK(same_layout(l, again));
    char *t2 = spec_text(again, &len2);
    CHECK(len1 == len2 && memcmp(t1, t2, len1) == 0);
    free(t1);
    free(t2);
    mr_layout_destroy(again);

    size_t n = mr_layout_field_count(l);
    struct mr_field *fields = calloc(n ? n : 1, sizeof *fields);
    CHECK(fields != NULL);
    for (size_t i = 0; i < n; i++)
        fields[i] = *mr_layout_field(l, i);
    struct mr_layout *made;
    /* size 0 asks for the natural size: pass the real one unless it is 0. */
    CHECK(mr_layout_create(NULL, fields, n, mr_layout_size(l), &made, &err) == 0);
    CHECK(same_layout(l, made));
    mr_layout_destroy(made);
    free(fields);
}

static void check_object(const struct mr_layout *l)
{
    static FILE *null_out;
    size_t size = mr_layout_size(l);
    if (size > MAX_OBJECT)
        return;
    if (null_out == NULL)
        CHECK((null_out = fopen("/dev/null", "w")) != NULL);

    unsigned char *buf = calloc(1, size ? size : 1);
    CHECK(buf != NULL);
    struct mr_object o;
    CHECK(mr_object_init(&o, l, mr_region_make(buf, size)) == 0);
    if (size)
        CHECK(mr_object_init(&o, l, mr_region_make(buf, size - 1)) == -ERANGE);
    for (size_t i = 0; i < mr_layout_field_count(l); i++) {
        const struct mr_field *f = mr_layout_field(l, i);
        union mr_value v;
        CHECK(mr_layout_find(l, f->name) == (ssize_t)i);
        if (f->type == MR_TYPE_STRUCT) {
            struct mr_object sub;
            CHECK(mr_object_nested(&o, i, 0, &sub) == 0);
            CHECK(mr_object_get_at(&o, i, 0, &v) == -EINVAL);
            continue;
        }
        char tname[MR_TYPE_NAME_MAX];
        enum mr_type t;
        enum mr_order ord;
        int n = mr_type_format(f->type, f->order, tname, sizeof tname);
        CHECK(n > 0 && mr_type_parse(tname, (size_t)n, &t, &ord) == 0);
        CHECK(t == f->type && ord == f->order);
        size_t last = f->count ? f->count - 1 : 0;
        CHECK(mr_object_get_at(&o, i, last, &v) == 0);
        CHECK(mr_object_get_at(&o, i, last + 1, &v) == -ERANGE);
        /* Fields may overlap, so only the value just written is read back. */
        union mr_value w = { .u = 7 };
        if (mr_type_is_float(f->type))
            w.f = 7.5;
        CHECK(mr_object_set_at(&o, i, last, w) == 0);
        CHECK(mr_object_get_at(&o, i, last, &v) == 0);
        CHECK(memcmp(&v, &w, sizeof v) == 0);
        if (f->count == 0) {
            CHECK(mr_object_get(&o, f->name, &v) == 0);
            CHECK(memcmp(&v, &w, sizeof v) == 0);
        }
        struct mr_array a;
        CHECK(mr_object_field(&o, i, &a) == 0);
        CHECK(mr_array_count(&a) == (f->count ? f->count : 1));
    }
    CHECK(mr_object_print(&o, null_out) == 0);
    CHECK(mr_object_print_json(&o, null_out) == 0);
    free(buf);
}

/* Every allocation of parse, and of create (which copies nested layouts),
 * refused in turn: each refusal is -ENOMEM and leaves nothing allocated. */
static void check_oom(const uint8_t *data, size_t size, const struct mr_layout *l)
{
    size_t nf = mr_layout_field_count(l);
    struct mr_field *fields = calloc(nf ? nf : 1, sizeof *fields);
    CHECK(fields != NULL);
    for (size_t i = 0; i < nf; i++)
        fields[i] = *mr_layout_field(l, i);

    for (int create = 0; create < 2; create++) {
        for (long n = 0;; n++) {
            struct mr_failing f;
            struct mr_layout *got = NULL;
            struct mr_layout_error err;
            mr_failing_init(&f, NULL, n);
            struct mr_allocator *a = mr_failing_allocator(&f);
            int rc = create ? mr_layout_create(a, fields, nf, mr_layout_size(l), &got, &err)
                            : mr_layout_parse(a, (const char *)data, size, &got, &err);
            if (rc == 0) {
                CHECK(f.failures == 0);
                mr_layout_destroy(got);
            } else {
                CHECK(rc == -ENOMEM && strcmp(err.reason, "out of memory") == 0);
            }
            CHECK(f.live_blocks == 0 && f.live_bytes == 0);
            if (rc == 0)
                break;
            CHECK(n < 100000);
        }
    }
    free(fields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mr_layout *l = NULL;
    struct mr_layout_error err;

    memset(&err, 0xa5, sizeof err);
    int rc = mr_layout_parse(NULL, (const char *)data, size, &l, &err);
    if (rc < 0) {
        CHECK(rc == -EINVAL);
        CHECK(err.pos <= size);
        CHECK(memchr(err.reason, '\0', sizeof err.reason) != NULL);
        CHECK(err.reason[0] != '\0');
        return 0;
    }
    check_round_trip(l);
    check_object(l);
    if (size <= MAX_OOM_INPUT)
        check_oom(data, size, l);
    mr_layout_destroy(l);
    return 0;
}
