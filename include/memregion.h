/* SPDX-License-Identifier: MIT */
/* memregion.h: the umbrella header. It includes every public header of
 * memregion and nothing else; see memregion/<layer>.h for each layer. */
#ifndef MEMREGION_H
#define MEMREGION_H

#include <memregion/version.h>
#include <memregion/base.h>
#include <memregion/sap.h>
#include <memregion/region.h>
#include <memregion/alloc.h>
#include <memregion/cursor.h>
#include <memregion/type.h>
#include <memregion/value.h>
#include <memregion/array.h>
#include <memregion/layout.h>
#include <memregion/object.h>
#include <memregion/view.h>
#include <memregion/iobuf.h>
#include <memregion/guard.h>
#include <memregion/map.h>
#include <memregion/shm.h>
#include <memregion/addr.h>
#include <memregion/sock.h>
#include <memregion/chan.h>
#include <memregion/waitset.h>
#include <memregion/svc.h>
#include <memregion/topic.h>

#endif
