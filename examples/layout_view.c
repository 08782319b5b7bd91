/* SPDX-License-Identifier: MIT */
/* layout_view: describe a binary record once, as text, then read, write and
 * print it by field name. The layout is checked to fit when it is parsed and
 * when it is applied; a typo in the spec is an error with its position. */
#include <memregion.h>
#include <stdio.h>
#include <string.h>

static const char spec[] =
    "magic:u32be version:u16le flags:u8 pad:u8[1] "
    "name:char[8] samples:{ t:u32le v:f32le }[2]";

int main(void)
{
    struct mr_layout *l;
    struct mr_layout_error err;
    unsigned char buf[64] = { 0 };
    struct mr_object rec;
    union mr_value v;
    int rc;

    if ((rc = mr_layout_parse(NULL, spec, strlen(spec), &l, &err)) < 0) {
        fprintf(stderr, "spec, byte %zu: %s\n", err.pos, err.reason);
        return 1;
    }
    if ((rc = mr_object_init(&rec, l, MR_REGION_OF_ARRAY(buf))) < 0 ||
        (rc = mr_object_set(&rec, "magic", (union mr_value){ .u = 0x4d524543 })) < 0 ||
        (rc = mr_object_set(&rec, "version", (union mr_value){ .u = 2 })) < 0 ||
        (rc = mr_object_set_str(&rec, "name", "probe")) < 0 ||
        (rc = mr_object_set(&rec, "samples[1].t", (union mr_value){ .u = 1000 })) < 0 ||
        (rc = mr_object_set(&rec, "samples[1].v", (union mr_value){ .f = 21.5 })) < 0)
        goto fail;
    /* A value that does not fit its field is refused, and nothing changes. */
    printf("flags = 300: %s\n", mr_strerror(mr_object_set(&rec, "flags", (union mr_value){ .u = 300 })));

    mr_region_hexdump(rec.region, stdout, 0);
    if ((rc = mr_object_get(&rec, "samples[1].v", &v)) < 0)
        goto fail;
    printf("samples[1].v is %g\n", v.f);
    if ((rc = mr_object_print(&rec, stdout)) < 0 || (rc = mr_object_print_json(&rec, stdout)) < 0)
        goto fail;

    /* A typo in a spec says where and what. */
    struct mr_layout *bad;
    if (mr_layout_parse(NULL, "magic:u32be len:u24", 19, &bad, &err) < 0)
        printf("\"magic:u32be len:u24\", byte %zu: %s\n", err.pos, err.reason);
    mr_layout_destroy(l);
    return 0;
fail:
    fprintf(stderr, "layout_view: %s\n", mr_strerror(rc));
    mr_layout_destroy(l);
    return 1;
}
