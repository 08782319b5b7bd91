/* SPDX-License-Identifier: MIT */
/* parse_png_header: decode the header of a PNG image from raw bytes with
 * checked region access. Every read says whether it fit; a truncated buffer
 * is an error value, never a read past the end. */
#include <memregion.h>
#include <stdio.h>

struct png_header {
    uint32_t width, height;
    uint8_t depth, color_type;
};

/* 0 and *out filled, or -ERANGE if data is too short, -EPROTO if it is not a PNG. */
static int parse_png(struct mr_region data, struct png_header *out)
{
    static const uint8_t magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    struct mr_region sig, ihdr;
    uint32_t len, type;
    int rc;

    if ((rc = mr_region_sub(data, 0, 8, &sig)) < 0)
        return rc;
    if (!mr_region_equal(sig, mr_region_make_ro(magic, sizeof magic)))
        return -EPROTO;
    /* The first chunk: length and type (big-endian), then its data. */
    if ((rc = mr_region_get_u32be(data, 8, &len)) < 0 ||
        (rc = mr_region_get_u32be(data, 12, &type)) < 0)
        return rc;
    if (type != 0x49484452u /* "IHDR" */ || len != 13)
        return -EPROTO;
    if ((rc = mr_region_sub(data, 16, len, &ihdr)) < 0)
        return rc;
    if ((rc = mr_region_get_u32be(ihdr, 0, &out->width)) < 0 ||
        (rc = mr_region_get_u32be(ihdr, 4, &out->height)) < 0 ||
        (rc = mr_region_get_u8(ihdr, 8, &out->depth)) < 0 ||
        (rc = mr_region_get_u8(ihdr, 9, &out->color_type)) < 0)
        return rc;
    return 0;
}

int main(void)
{
    /* The first 33 bytes of a 640x480 8-bit RGBA PNG. */
    static const uint8_t file[] = {
        0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d,
        0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x02, 0x80, 0x00, 0x00, 0x01, 0xe0,
        0x08, 0x06, 0x00, 0x00, 0x00, 0x35, 0xd1, 0xdc, 0xe4,
    };
    struct mr_region data = mr_region_make_ro(file, sizeof file);
    struct png_header h;
    int rc;

    mr_region_hexdump(data, stdout, 0);
    if ((rc = parse_png(data, &h)) < 0) {
        fprintf(stderr, "parse_png: %s\n", mr_strerror(rc));
        return 1;
    }
    printf("PNG %ux%u, depth %u, color type %u\n", (unsigned)h.width, (unsigned)h.height,
           (unsigned)h.depth, (unsigned)h.color_type);

    /* The same file cut short: an error value, not a read past the end. */
    struct mr_region cut;
    mr_region_sub(data, 0, 20, &cut);
    rc = parse_png(cut, &h);
    printf("first 20 bytes only: %s\n", mr_strerror(rc));

    /* The data is read-only: a write is refused, not a crash. */
    rc = mr_region_set_u8(data, 0, 0);
    printf("writing to the read-only file data: %s\n", mr_strerror(rc));
    return 0;
}
