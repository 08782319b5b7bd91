/* SPDX-License-Identifier: MIT */
/* src/layout_internal.h: what the object code needs of layouts beyond the
 * public accessors (src/layout.c): lookup by a name that is not
 * NUL-terminated, a field's element size, the identifier characters that
 * field names and object paths share, and the stream status both printers
 * report. */
#ifndef MEMREGION_LAYOUT_INTERNAL_H
#define MEMREGION_LAYOUT_INTERNAL_H

#include "internal.h"

#include <memregion/layout.h>

/* The index of the field whose name is the len bytes at name, or -ENOENT. */
ssize_t mr__layout_find_n(const struct mr_layout *l, const char *name, size_t len);

/* Bytes of one element of field f: its type's size, or its nested layout's. */
size_t mr__field_elem_size(const struct mr_field *f);

static inline bool mr__ident_start(int c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline bool mr__ident_char(int c) { return mr__ident_start(c) || (c >= '0' && c <= '9'); }

/* After a printer wrote to out: flush it, and 0 or -EIO when the stream
 * reports an error. */
static inline int mr__flush_status(FILE *out)
{
    int rc = fflush(out);
    return rc != 0 || ferror(out) ? -EIO : 0;
}

#endif
