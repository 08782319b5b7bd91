/* SPDX-License-Identifier: MIT */
/* elf_headers: print the ELF header and the program headers of a binary, as
 * `readelf -h -l` does, with a cursor and two layouts written as text. The
 * file is untrusted input: every read is checked, so a truncated or foreign
 * file is an error message, never a read past the end of the buffer.
 *
 *   example_elf_headers [FILE]        FILE defaults to /bin/ls
 */
#include <memregion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Elf64_Ehdr and Elf64_Phdr as layout specs. O is the byte-order suffix of
 * every multi-byte field, "le" or "be": the compiler pastes it into the text,
 * so the file's own byte order decides how the fields are read. */
#define EHDR_SPEC(O)                                                                         \
    "e_ident:{ magic:char[4] class:u8 data:u8 version:u8 osabi:u8 abiversion:u8 pad:u8[7] }" \
    " e_type:u16" O " e_machine:u16" O " e_version:u32" O " e_entry:u64" O                   \
    " e_phoff:u64" O " e_shoff:u64" O " e_flags:u32" O " e_ehsize:u16" O                      \
    " e_phentsize:u16" O " e_phnum:u16" O " e_shentsize:u16" O " e_shnum:u16" O               \
    " e_shstrndx:u16" O
#define PHDR_SPEC(O)                                                       \
    "p_type:u32" O " p_flags:u32" O " p_offset:u64" O " p_vaddr:u64" O    \
    " p_paddr:u64" O " p_filesz:u64" O " p_memsz:u64" O " p_align:u64" O

/* Read all of path into *w, a growable cursor (free it with mr_cursor_fini).
 * 0, or -errno with nothing allocated. */
static int read_file(const char *path, struct mr_cursor *w)
{
    unsigned char chunk[65536];
    size_t n;
    int rc;
    FILE *f = fopen(path, "rb");

    if (f == NULL)
        return -errno;
    if ((rc = mr_cursor_init_growable(w, NULL, sizeof chunk)) < 0)
        goto out;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = mr_cursor_write_bytes(w, chunk, n)) < 0)
            break;
    if (rc == 0 && ferror(f))
        rc = errno ? -errno : -EIO; /* POSIX fread sets errno */
    if (rc < 0)
        mr_cursor_fini(w);
out:
    fclose(f);
    return rc;
}

/* Check e_ident (the first 16 bytes) with a cursor: NULL and *order set to
 * the file's byte order, or why the file is refused. */
static const char *check_ident(struct mr_region data, enum mr_order *order)
{
    struct mr_cursor c;
    mr_cursor_init(&c, data);
    uint32_t magic = mr_cursor_read_u32be(&c);
    uint8_t class = mr_cursor_read_u8(&c);
    uint8_t encoding = mr_cursor_read_u8(&c);
    uint8_t version = mr_cursor_read_u8(&c);

    /* One check for all the reads: after a failed one the rest read 0. */
    if (mr_cursor_error(&c) < 0)
        return mr_strerror(mr_cursor_error(&c));
    if (magic != 0x7f454c46) /* "\x7f" "ELF" */
        return "not an ELF file (bad magic number)";
    if (class == 1)
        return "ELF32 is not supported by this example";
    if (class != 2)
        return "unknown ELF class";
    if (encoding != 1 && encoding != 2)
        return "unknown data encoding";
    if (version != 1)
        return "unknown ELF version";
    *order = encoding == 1 ? MR_ORDER_LE : MR_ORDER_BE;
    return NULL;
}

/* The unsigned integer field name of o into *out (0 if it cannot be read):
 * 0, or the error of mr_object_get. */
static int get_u64(const struct mr_object *o, const char *name, uint64_t *out)
{
    union mr_value v = { .u = 0 };
    int rc = mr_object_get(o, name, &v);

    *out = v.u;
    return rc;
}

static const char *segment_type(uint64_t type, char buf[static 20])
{
    static const char *const names[] = { "NULL", "LOAD", "DYNAMIC", "INTERP",
                                         "NOTE", "SHLIB", "PHDR", "TLS" };
    if (type < sizeof names / sizeof names[0])
        return names[type];
    switch (type) {
    case 0x6474e550: return "GNU_EH_FRAME";
    case 0x6474e551: return "GNU_STACK";
    case 0x6474e552: return "GNU_RELRO";
    case 0x6474e553: return "GNU_PROPERTY";
    case 0x6474e554: return "GNU_SFRAME";
    }
    snprintf(buf, 20, "0x%08" PRIx64, type);
    return buf;
}

/* Print one program header as a row of the table: 0, or the error of a read. */
static int print_phdr(const struct mr_object *ph)
{
    uint64_t type, flags, offset, vaddr, paddr, filesz, memsz, align;
    char buf[20];
    int rc;

    if ((rc = get_u64(ph, "p_type", &type)) < 0 || (rc = get_u64(ph, "p_flags", &flags)) < 0 ||
        (rc = get_u64(ph, "p_offset", &offset)) < 0 || (rc = get_u64(ph, "p_vaddr", &vaddr)) < 0 ||
        (rc = get_u64(ph, "p_paddr", &paddr)) < 0 || (rc = get_u64(ph, "p_filesz", &filesz)) < 0 ||
        (rc = get_u64(ph, "p_memsz", &memsz)) < 0 || (rc = get_u64(ph, "p_align", &align)) < 0)
        return rc;
    printf("  %-14s 0x%06" PRIx64 " 0x%016" PRIx64 " 0x%016" PRIx64 " 0x%06" PRIx64
           " 0x%06" PRIx64 " %c%c%c 0x%" PRIx64 "\n",
           segment_type(type, buf), offset, vaddr, paddr, filesz, memsz, flags & 4 ? 'R' : ' ',
           flags & 2 ? 'W' : ' ', flags & 1 ? 'X' : ' ', align);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "/bin/ls";
    struct mr_cursor file, c;
    struct mr_layout *ehdr = NULL, *phdr = NULL;
    struct mr_layout_error lerr;
    struct mr_object eh, ph;
    struct mr_region data, entry;
    enum mr_order order = MR_ORDER_HOST;
    uint64_t e_entry, phoff, phentsize, phnum;
    char where[64] = "ELF identification";
    const char *why = NULL;
    int rc = 0, status = 1;

    if (argc > 2) {
        fprintf(stderr, "usage: %s [ELF-FILE]\n", argv[0]);
        return 2;
    }
    if ((rc = read_file(path, &file)) < 0) {
        fprintf(stderr, "elf_headers: %s: %s\n", path, mr_strerror(rc));
        return 1;
    }
    data = mr_region_ro(mr_cursor_data(&file));
    if ((why = check_ident(data, &order)) != NULL)
        goto fail;

    const char *espec = order == MR_ORDER_LE ? EHDR_SPEC("le") : EHDR_SPEC("be");
    const char *pspec = order == MR_ORDER_LE ? PHDR_SPEC("le") : PHDR_SPEC("be");
    if (mr_layout_parse(NULL, espec, strlen(espec), &ehdr, &lerr) < 0 ||
        mr_layout_parse(NULL, pspec, strlen(pspec), &phdr, &lerr) < 0) {
        fprintf(stderr, "elf_headers: layout spec, byte %zu: %s\n", lerr.pos, lerr.reason);
        goto out;
    }

    strcpy(where, "ELF header");
    if ((rc = mr_object_init(&eh, ehdr, data)) < 0)
        goto fail;
    printf("ELF header of %s (%s-endian):\n", path, order == MR_ORDER_LE ? "little" : "big");
    if ((rc = mr_object_print(&eh, stdout)) < 0 || (rc = get_u64(&eh, "e_entry", &e_entry)) < 0 ||
        (rc = get_u64(&eh, "e_phoff", &phoff)) < 0 ||
        (rc = get_u64(&eh, "e_phentsize", &phentsize)) < 0 ||
        (rc = get_u64(&eh, "e_phnum", &phnum)) < 0)
        goto fail;
    /* Entries may be longer than an Elf64_Phdr (a later ELF version may add
     * fields), never shorter. */
    if (phnum > 0 && phentsize < mr_layout_size(phdr)) {
        why = "e_phentsize is smaller than a program header";
        goto fail;
    }
    printf("\nEntry point 0x%" PRIx64 "\nThere are %" PRIu64
           " program headers, starting at offset %" PRIu64 "\n\n",
           e_entry, phnum, phoff);
    printf("  %-14s %-8s %-18s %-18s %-8s %-8s %-3s %s\n", "Type", "Offset", "VirtAddr",
           "PhysAddr", "FileSiz", "MemSiz", "Flg", "Align");

    /* A cursor walks the entries; each is a layout applied to its bytes. The
     * seek takes a signed offset, so a larger e_phoff is refused first. */
    strcpy(where, "program headers");
    mr_cursor_init(&c, data);
    if ((rc = phoff > INT64_MAX ? -ERANGE : mr_cursor_seek(&c, (int64_t)phoff, SEEK_SET)) < 0)
        goto fail;
    for (uint64_t i = 0; i < phnum; i++) {
        snprintf(where, sizeof where, "program header %" PRIu64, i);
        if ((rc = mr_cursor_read_region(&c, phentsize, &entry)) < 0 ||
            (rc = mr_object_init(&ph, phdr, entry)) < 0 || (rc = print_phdr(&ph)) < 0)
            goto fail;
    }
    status = 0;
    goto out;

fail:
    fflush(stdout);
    fprintf(stderr, "elf_headers: %s (%zu bytes): %s: %s\n", path, data.len, where,
            why ? why : mr_strerror(rc));
out:
    mr_layout_destroy(phdr);
    mr_layout_destroy(ehdr);
    mr_cursor_fini(&file);
    return status;
}
