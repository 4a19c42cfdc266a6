/* SPDX-License-Identifier: MIT */
/** @file layer.c Open OGR layers given as PATH[:LAYER] or PG:CONNINFO:TABLE, errors naming them. */

#include "layer.h"

#include "fs.h"

#include "core/context.h"
#include "core/memory.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- PostgreSQL connection strings ------------------------------------------------------ */

/* Seconds a connection attempt may take unless the user chose (libpq waits for the OS, about
 * two minutes, for a host that drops packets). */
#define PG_CONNECT_TIMEOUT 10
/* Tables named in a "name the table" message. */
#define PG_TABLES_LISTED 10

static int is_pg(const char *spec)
{
    return strncasecmp(spec, "PG:", 3) == 0;
}

/* "PG:postgresql://..." rather than "PG:key=value ...". */
static int pg_is_uri(const char *spec)
{
    const char *s = spec + 3;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    return strncasecmp(s, "postgresql://", 13) == 0 || strncasecmp(s, "postgres://", 11) == 0;
}

/* Whether `s` can be the [schema.]table after the last ':' of a PG spec, rather than the end of
 * a connection string: dot-separated parts, none empty or starting with a digit (a port, the
 * end of an IPv6 address), and none of the characters the values of a connection string hold
 * (space, '=', quotes, '/', '@', ...). Other characters, such as UTF-8 letters, are allowed. */
static int plausible_table(const char *s)
{
    int part_start = 1;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '.') {
            if (part_start) {
                return 0;
            }
            part_start = 1;
            continue;
        }
        if (c <= ' ' || c == 0x7f || strchr("=/\\'\"@:?&#", c) != NULL ||
            (part_start && isdigit(c))) {
            return 0;
        }
        part_start = 0;
    }
    return !part_start;
}

/* One key=value pair of a libpq connection string, parsed as libpq's conninfo_parse does
 * (values in single quotes may hold spaces; a backslash escapes the next character). */
typedef struct pg_pair {
    const char *key;
    size_t key_len;
    const char *value; /* the value as written, quotes included */
    size_t value_len;
} pg_pair;

/* Parse the pair at *p and advance past it; 0 at the end or where the text is not a pair. */
static int pg_next_pair(const char **p, pg_pair *out)
{
    const char *s = *p;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    out->key = s;
    while (*s != '\0' && *s != '=' && !isspace((unsigned char)*s)) {
        s++;
    }
    out->key_len = (size_t)(s - out->key);
    while (isspace((unsigned char)*s)) {
        s++;
    }
    if (out->key_len == 0 || *s != '=') {
        return 0;
    }
    s++;
    while (isspace((unsigned char)*s)) {
        s++;
    }
    out->value = s;
    int quoted = *s == '\'';
    s += quoted;
    while (*s != '\0' && (quoted ? *s != '\'' : !isspace((unsigned char)*s))) {
        s += (*s == '\\' && s[1] != '\0') ? 2 : 1;
    }
    s += quoted && *s == '\'';
    out->value_len = (size_t)(s - out->value);
    *p = s;
    return 1;
}

/* Whether the key=value connection string of a PG spec sets `key`. */
static int pg_has_key(const char *spec, const char *key)
{
    if (pg_is_uri(spec)) {
        return 0;
    }
    const char *p = spec + 3;
    pg_pair kv;
    size_t n = strlen(key);
    while (pg_next_pair(&p, &kv)) {
        if (kv.key_len == n && strncmp(kv.key, key, n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Appends to a bounded buffer as snprintf does: `len` counts every byte, written or not. */
typedef struct text_out {
    char *buf;
    size_t cap;
    size_t len;
} text_out;

static void put(text_out *o, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++, o->len++) {
        if (o->len + 1 < o->cap) {
            o->buf[o->len] = s[i];
        }
    }
    if (o->cap > 0) {
        o->buf[o->len < o->cap ? o->len : o->cap - 1] = '\0';
    }
}

/* Copy a URI connection string with the password of its user info and of a password=
 * parameter replaced by "***". */
static void mask_uri(text_out *o, const char *s)
{
    const char *auth = strstr(s, "://") + 3;
    size_t auth_len = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *c = auth; c < auth + auth_len; c++) {
        at = *c == '@' ? c : at;
    }
    const char *colon = at != NULL ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
    const char *p = s;
    if (colon != NULL) {
        put(o, p, (size_t)(colon + 1 - p));
        put(o, "***", 3);
        p = at;
    }
    const char *query = strchr(p, '?');
    while (query != NULL) {
        const char *param = query + 1;
        const char *next = strchr(param, '&');
        if (strncmp(param, "password=", 9) == 0) {
            put(o, p, (size_t)(param + 9 - p));
            put(o, "***", 3);
            p = next != NULL ? next : param + strlen(param);
        }
        query = next;
    }
    put(o, p, strlen(p));
}

/* Copy `spec` into `o`, every password replaced by "***" when it is a PG spec. */
static void mask_spec(text_out *o, const char *spec)
{
    if (!is_pg(spec)) {
        put(o, spec, strlen(spec));
        return;
    }
    if (pg_is_uri(spec)) {
        mask_uri(o, spec);
        return;
    }
    const char *done = spec;
    const char *p = spec + 3;
    pg_pair kv;
    while (pg_next_pair(&p, &kv)) {
        if (kv.key_len == 8 && strncmp(kv.key, "password", 8) == 0) {
            put(o, done, (size_t)(kv.value - done));
            put(o, "***", 3);
            done = kv.value + kv.value_len;
        }
    }
    put(o, done, strlen(done));
}

char *gp_layer_source_label(const char *path)
{
    text_out o = {NULL, 0, 0};
    mask_spec(&o, path);
    o.cap = o.len + 1;
    o.buf = gp_malloc(o.cap);
    if (o.buf != NULL) {
        o.len = 0;
        mask_spec(&o, path);
    }
    return o.buf;
}

/* The string given to GDAL: the user's, with a connection timeout unless the user set one. */
static char *pg_open_string(const char *path)
{
    if (pg_is_uri(path) || pg_has_key(path, "connect_timeout") ||
        getenv("PGCONNECT_TIMEOUT") != NULL) {
        return gp_strdup(path);
    }
    size_t n = strlen(path) + sizeof " connect_timeout=" + 12;
    char *s = gp_malloc(n);
    if (s != NULL) {
        snprintf(s, n, "%s connect_timeout=%d", path, PG_CONNECT_TIMEOUT);
    }
    return s;
}

/* GDAL's last error on one line (libpq's messages span several). */
static void engine_reason(const gp_context *ctx, char *buf, size_t size)
{
    size_t n = 0;
    int space = 0;
    for (const char *c = ctx->engine_error; *c != '\0' && n + 1 < size; c++) {
        if (isspace((unsigned char)*c)) {
            space = n > 0;
            continue;
        }
        if (space && n + 2 < size) {
            buf[n++] = ' ';
        }
        space = 0;
        buf[n++] = *c;
    }
    buf[n] = '\0';
    if (n == 0) {
        snprintf(buf, size, "GDAL gave no reason");
    }
}

/* "a, b, c" for the first layers of a data source, then how many there are in all. */
static void list_tables(GDALDatasetH ds, char *buf, size_t size)
{
    text_out o = {buf, size, 0};
    int n = GDALDatasetGetLayerCount(ds);
    for (int i = 0; i < n && i < PG_TABLES_LISTED; i++) {
        const char *name = OGR_L_GetName(GDALDatasetGetLayer(ds, i));
        if (i > 0) {
            put(&o, ", ", 2);
        }
        put(&o, name, strlen(name));
    }
    if (n > PG_TABLES_LISTED) {
        char more[48];
        snprintf(more, sizeof more, ", ... (%d in all)", n);
        put(&o, more, strlen(more));
    }
    if (n == 0) {
        put(&o, "none", 4);
    }
}

/* ---- PATH[:LAYER] --------------------------------------------------------------------------- */

/* Which ':' of a spec, if any, separates the layer name. A PG spec ends in ":TABLE" only when
 * that text is a plausible table name. A spec naming an existing file is a path even if it
 * contains ':' (so that "C:\x.gpkg" or "a:b.gpkg" work); otherwise the text after its last ':'
 * is the layer name. */
static const char *layer_colon(const char *spec)
{
    if (is_pg(spec)) {
        const char *colon = strrchr(spec + 3, ':');
        return colon != NULL && plausible_table(colon + 1) ? colon : NULL;
    }
    const char *colon = strrchr(spec, ':');
    if (gp_fs_kind_of(spec) != GP_FS_NONE || colon == NULL || colon == spec || colon[1] == '\0' ||
        strchr(colon, '/') != NULL || strchr(colon, '\\') != NULL) {
        return NULL;
    }
    return colon;
}

gp_status gp_layer_split_spec(gp_context *ctx, const char *spec, char **path, char **name)
{
    gp_status st = GP_OK;
    *path = NULL;
    *name = NULL;
    const char *colon = layer_colon(spec);
    size_t n = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
    *path = gp_malloc(n + 1);
    if (*path == NULL || (colon != NULL && (*name = gp_strdup(colon + 1)) == NULL)) {
        st = gp_error_nomem(ctx, "a layer path");
        goto done;
    }
    memcpy(*path, spec, n);
    (*path)[n] = '\0';
done:
    if (st != GP_OK) {
        gp_free(*path);
        gp_free(*name);
        *path = NULL;
        *name = NULL;
    }
    return st;
}

/* Open a file (or any non-PostgreSQL source) and pick its layer: the named one, else the only
 * one. `shown` is the path as messages show it. */
static gp_status open_file(gp_context *ctx, gp_layer *l, const char *role, const char *shown,
                           const char *layer_name)
{
    l->ds = GDALOpenEx(l->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    if (l->ds == NULL) {
        if (gp_fs_kind_of(l->path) == GP_FS_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: %s: no such file", role, shown);
        }
        return gp_error(ctx, GP_ERR_IO, "%s: %s: cannot open as a vector data source%s%s", role,
                        shown, ctx->engine_error[0] ? ": " : "", ctx->engine_error);
    }
    int n_layers = GDALDatasetGetLayerCount(l->ds);
    if (layer_name != NULL) {
        l->layer = GDALDatasetGetLayerByName(l->ds, layer_name);
        if (l->layer == NULL) {
            return gp_error(ctx, GP_ERR_INPUT, "%s: %s: no layer named '%s' (it has %d layer%s)",
                            role, shown, layer_name, n_layers, n_layers == 1 ? "" : "s");
        }
    } else if (n_layers == 1) {
        l->layer = GDALDatasetGetLayer(l->ds, 0);
    } else {
        return gp_error(ctx, GP_ERR_INPUT, "%s: %s: has %d layers; name one as PATH:LAYER", role,
                        shown, n_layers);
    }
    return GP_OK;
}

/* Connect to a PostgreSQL database and pick the table: the named one, else the only one its
 * connection string names with tables=. A database is not a file: it never picks a table by
 * itself, and failing to connect is not "no such file". */
static gp_status open_pg(gp_context *ctx, gp_layer *l, const char *role, const char *shown,
                         const char *table)
{
    char reason[GP_MESSAGE_MAX];
    char tables[512];
    int by_key = table == NULL && pg_has_key(l->path, "tables");
    if (GDALGetDriverByName("PostgreSQL") == NULL) {
        return gp_error(ctx, GP_ERR_IO, "%s: %s: this GDAL has no PostgreSQL driver", role, shown);
    }
    char *target = pg_open_string(l->path);
    if (target == NULL) {
        return gp_error_nomem(ctx, "a connection string");
    }
    l->ds = GDALOpenEx(target, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    gp_free(target);
    if (l->ds == NULL) {
        engine_reason(ctx, reason, sizeof reason);
        if (table == NULL && !by_key) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: %s: name the table to read, as %s:TABLE (cannot list the "
                            "tables: %s)",
                            role, shown, shown, reason);
        }
        return gp_error(ctx, GP_ERR_IO, "%s: %s: cannot connect: %s", role, shown, reason);
    }
    if (table != NULL) {
        l->layer = GDALDatasetGetLayerByName(l->ds, table);
        if (l->layer == NULL) {
            list_tables(l->ds, tables, sizeof tables);
            return gp_error(ctx, GP_ERR_INPUT, "%s: %s: no table named '%s' (tables there: %s)",
                            role, shown, table, tables);
        }
    } else if (by_key && GDALDatasetGetLayerCount(l->ds) == 1) {
        l->layer = GDALDatasetGetLayer(l->ds, 0);
    } else {
        list_tables(l->ds, tables, sizeof tables);
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: %s: name the table to read, as %s:TABLE (tables there: %s)", role,
                        shown, shown, tables);
    }
    return GP_OK;
}

gp_status gp_layer_open(gp_context *ctx, const char *spec, const char *role, gp_layer **out)
{
    gp_status st = GP_OK;
    gp_layer *l = NULL;
    char *layer_name = NULL;
    char *shown = NULL;
    if (out == NULL) {
        return gp_error(ctx, GP_ERR_ARG, "gp_layer_open: out is NULL");
    }
    *out = NULL;
    if (spec == NULL || spec[0] == '\0') {
        return gp_error(ctx, GP_ERR_ARG, "%s: no layer given (expected PATH[:LAYER])", role);
    }
    gp_gdal_register_once();
    gp_gdal_push_errors(ctx);
    l = gp_calloc(1, sizeof *l);
    if (l == NULL) {
        st = gp_error_nomem(ctx, "a layer");
        goto done;
    }
    st = gp_layer_split_spec(ctx, spec, &l->path, &layer_name);
    if (st != GP_OK) {
        goto done;
    }
    shown = gp_layer_source_label(l->path);
    if (shown == NULL) {
        st = gp_error_nomem(ctx, "a layer path");
        goto done;
    }
    ctx->engine_error[0] = '\0';
    st = is_pg(l->path) ? open_pg(ctx, l, role, shown, layer_name)
                        : open_file(ctx, l, role, shown, layer_name);
    if (st != GP_OK) {
        goto done;
    }
    l->name = gp_strdup(OGR_L_GetName(l->layer));
    size_t n = strlen(shown) + strlen(l->name ? l->name : "") + 2;
    l->label = gp_malloc(n);
    if (l->name == NULL || l->label == NULL) {
        st = gp_error_nomem(ctx, "a layer name");
        goto done;
    }
    snprintf(l->label, n, "%s:%s", shown, l->name);
done:
    gp_gdal_pop_errors(ctx);
    gp_free(layer_name);
    gp_free(shown);
    if (st != GP_OK) {
        gp_layer_close(l);
        l = NULL;
    }
    *out = l;
    return st;
}

void gp_layer_close(gp_layer *layer)
{
    if (layer == NULL) {
        return;
    }
    if (layer->ds != NULL) {
        GDALClose(layer->ds);
    }
    gp_free(layer->path);
    gp_free(layer->name);
    gp_free(layer->label);
    gp_free(layer);
}

gp_status gp_layer_field(gp_context *ctx, const gp_layer *layer, const char *name, int *index_out)
{
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(layer->layer);
    int idx = name != NULL ? OGR_FD_GetFieldIndex(defn, name) : -1;
    *index_out = idx;
    if (idx >= 0) {
        return GP_OK;
    }
    char list[512] = "";
    size_t used = 0;
    int n = OGR_FD_GetFieldCount(defn);
    for (int i = 0; i < n && used + 1 < sizeof list; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "",
                         OGR_Fld_GetNameRef(OGR_FD_GetFieldDefn(defn, i)));
        if (w < 0) {
            break;
        }
        used += (size_t)w;
    }
    return gp_error(ctx, GP_ERR_INPUT, "%s: no field '%s' (fields: %s)", layer->label,
                    name ? name : "(null)", n ? list : "none");
}

int gp_ogr_finite(OGRGeometryH g)
{
    for (int i = 0; i < OGR_G_GetGeometryCount(g); i++) {
        if (!gp_ogr_finite(OGR_G_GetGeometryRef(g, i))) {
            return 0;
        }
    }
    for (int i = 0; i < OGR_G_GetPointCount(g); i++) {
        if (!isfinite(OGR_G_GetX(g, i)) || !isfinite(OGR_G_GetY(g, i))) {
            return 0;
        }
    }
    return 1;
}
