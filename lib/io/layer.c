/* SPDX-License-Identifier: MIT */
/** @file layer.c Open OGR layers given as PATH[:LAYER] or PG:CONNINFO:TABLE, errors naming them. */

#include "layer.h"

#include "fs.h"

#include "core/context.h"
#include "core/memory.h"

#include <cpl_minixml.h>
#include <cpl_string.h>

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

/* Copy [s, s + n) into a new string. */
static char *copy_n(const char *s, size_t n)
{
    char *c = gp_malloc(n + 1);
    if (c != NULL) {
        memcpy(c, s, n);
        c[n] = '\0';
    }
    return c;
}

/* Where the QGIS-style |parts of a spec begin: the first '|' followed by a word and '=' or ':'
 * ("|layername=", "|option:"); NULL when there are none, for a PG: spec and for a spec naming
 * an existing file. */
static const char *qgis_parts(const char *spec)
{
    if (is_pg(spec) || gp_fs_kind_of(spec) != GP_FS_NONE) {
        return NULL;
    }
    for (const char *bar = strchr(spec, '|'); bar != NULL; bar = strchr(bar + 1, '|')) {
        const char *w = bar + 1;
        while (isalpha((unsigned char)*w) || *w == '_') {
            w++;
        }
        if (w > bar + 1 && (*w == '=' || *w == ':')) {
            return bar;
        }
    }
    return NULL;
}

/* One |part of a QGIS-style source, [p, p + n), into out. */
static gp_status take_part(gp_context *ctx, const char *spec, const char *p, size_t n,
                           gp_layer_spec *out)
{
    static const char ACCEPTED[] =
        "gridpart reads |layername=NAME, |layerid=N and |option:KEY=VALUE";
    if (n > 10 && strncasecmp(p, "layername=", 10) == 0 && out->name == NULL &&
        out->index < 0) {
        out->name = copy_n(p + 10, n - 10);
        return out->name ? GP_OK : gp_error_nomem(ctx, "a layer name");
    }
    if (n > 8 && strncasecmp(p, "layerid=", 8) == 0 && out->name == NULL && out->index < 0) {
        int64_t v = 0;
        size_t i = 8;
        for (; i < n && isdigit((unsigned char)p[i]) && v < INT32_MAX; i++) {
            v = v * 10 + (p[i] - '0');
        }
        if (i == n && v <= INT32_MAX) {
            out->index = (int32_t)v;
            return GP_OK;
        }
    }
    const char *eq = n > 7 ? memchr(p + 7, '=', n - 7) : NULL;
    if (n > 7 && strncasecmp(p, "option:", 7) == 0 && eq != NULL && eq > p + 7) {
        char *kv = copy_n(p + 7, n - 7);
        if (kv == NULL) {
            return gp_error_nomem(ctx, "an open option");
        }
        out->open_options = CSLAddString(out->open_options, kv);
        gp_free(kv);
        return GP_OK;
    }
    return gp_error(ctx, GP_ERR_ARG, "'%s': cannot use the part '|%.*s' (%s, the layer named once)",
                    spec, (int)n, p, ACCEPTED);
}

void gp_layer_spec_clear(gp_layer_spec *s)
{
    gp_free(s->path);
    gp_free(s->name);
    CSLDestroy(s->open_options);
    memset(s, 0, sizeof *s);
    s->index = -1;
}

gp_status gp_layer_parse_spec(gp_context *ctx, const char *spec, gp_layer_spec *out)
{
    gp_status st = GP_OK;
    memset(out, 0, sizeof *out);
    out->index = -1;
    const char *bar = qgis_parts(spec);
    for (const char *p = bar; p != NULL && st == GP_OK;) {
        const char *next = strchr(p + 1, '|');
        size_t n = next ? (size_t)(next - p - 1) : strlen(p + 1);
        st = take_part(ctx, spec, p + 1, n, out);
        p = next;
    }
    if (st != GP_OK) {
        goto done;
    }
    if (bar != NULL && (out->name != NULL || out->index >= 0)) {
        out->path = copy_n(spec, (size_t)(bar - spec));
    } else {
        char *whole = bar != NULL ? copy_n(spec, (size_t)(bar - spec)) : NULL;
        const char *s = bar != NULL ? whole : spec;
        const char *colon = s != NULL ? layer_colon(s) : NULL;
        out->path = s != NULL ? copy_n(s, colon ? (size_t)(colon - s) : strlen(s)) : NULL;
        if (colon != NULL && out->path != NULL) {
            out->name = gp_strdup(colon + 1);
        }
        gp_free(whole);
        if (colon != NULL && out->name == NULL) {
            gp_free(out->path);
            out->path = NULL;
        }
    }
    if (out->path == NULL) {
        st = gp_error_nomem(ctx, "a layer path");
    }
done:
    if (st != GP_OK) {
        gp_layer_spec_clear(out);
    }
    return st;
}

gp_status gp_layer_split_spec(gp_context *ctx, const char *spec, char **path, char **name)
{
    gp_layer_spec s;
    gp_status st = gp_layer_parse_spec(ctx, spec, &s);
    *path = s.path;
    *name = s.name;
    s.path = NULL;
    s.name = NULL;
    gp_layer_spec_clear(&s);
    return st;
}

/* The <Option> element of a parsed option list naming `key` (name or alias), or NULL. */
static const CPLXMLNode *find_option(const CPLXMLNode *root, const char *key, size_t key_len)
{
    static const char *const ATTRS[] = {"name", "alias", "deprecated_alias"};
    for (const CPLXMLNode *n = root->psChild; n != NULL; n = n->psNext) {
        if (n->eType != CXT_Element || !EQUAL(n->pszValue, "Option")) {
            continue;
        }
        for (size_t a = 0; a < sizeof ATTRS / sizeof ATTRS[0]; a++) {
            const char *name = CPLGetXMLValue(n, ATTRS[a], NULL);
            if (name != NULL && strlen(name) == key_len && strncasecmp(name, key, key_len) == 0) {
                return n;
            }
        }
    }
    return NULL;
}

/* Whether `value` fits the option's declared type: one of its <Value>s for string-select, a
 * boolean word, a whole number; other types (string, float, ...) take anything. On a misfit,
 * `why` says what it takes. */
static int value_fits(const CPLXMLNode *opt, const char *value, char *why, size_t size)
{
    const char *type = CPLGetXMLValue(opt, "type", "string");
    if (EQUAL(type, "boolean")) {
        snprintf(why, size, "YES or NO");
        static const char *const WORDS[] = {"YES", "NO", "TRUE", "FALSE", "ON", "OFF", "1", "0"};
        for (size_t i = 0; i < sizeof WORDS / sizeof WORDS[0]; i++) {
            if (EQUAL(value, WORDS[i])) {
                return 1;
            }
        }
        return 0;
    }
    if (EQUAL(type, "int") || EQUAL(type, "integer") || EQUAL(type, "unsigned int")) {
        char *end = NULL;
        (void)strtoll(value, &end, 10);
        snprintf(why, size, "a whole number");
        return *value != '\0' && *end == '\0';
    }
    if (!EQUAL(type, "string-select")) {
        return 1;
    }
    text_out o = {why, size, 0};
    put(&o, "one of ", 7);
    int n = 0;
    for (const CPLXMLNode *v = opt->psChild; v != NULL; v = v->psNext) {
        if (v->eType != CXT_Element || !EQUAL(v->pszValue, "Value")) {
            continue;
        }
        const char *text = CPLGetXMLValue(v, "", "");
        const char *alias = CPLGetXMLValue(v, "alias", NULL);
        if (EQUAL(text, value) || (alias != NULL && EQUAL(alias, value))) {
            return 1;
        }
        put(&o, ", ", n > 0 ? 2 : 0);
        put(&o, text, strlen(text));
        n++;
    }
    return n == 0; /* a select with no values listed takes anything */
}

int gp_gdal_option_check(const char *xml, const char *option, char *why, size_t size)
{
    size_t key_len = strcspn(option, "=");
    const char *value = option[key_len] == '=' ? option + key_len + 1 : NULL;
    CPLXMLNode *root = xml != NULL ? CPLParseXMLString(xml) : NULL;
    if (root == NULL) {
        return -1;
    }
    const CPLXMLNode *opt = find_option(root, option, key_len);
    int ok = opt != NULL;
    if (size > 0) {
        why[0] = '\0';
    }
    if (opt == NULL && size > 0) {
        snprintf(why, size, "no such option");
    } else if (value != NULL) {
        ok = value_fits(opt, value, why, size);
    }
    CPLDestroyXMLNode(root);
    return ok;
}

int gp_gdal_option_listed(const char *xml, const char *option)
{
    char key[256];
    snprintf(key, sizeof key, "%.*s", (int)strcspn(option, "="), option);
    return gp_gdal_option_check(xml, key, NULL, 0);
}

/* The layer's own |option: entries, first, then the settings' (GDAL takes the first of a key). */
static char **merged_options(char *const *own, const gp_layer_settings *settings)
{
    char **all = CSLDuplicate((CSLConstList)own);
    for (int i = 0; settings != NULL && settings->open_options != NULL &&
                    settings->open_options[i] != NULL;
         i++) {
        all = CSLAddString(all, settings->open_options[i]);
    }
    return all;
}

/* Each |option: of the spec must be an open option of the driver that opened it (GDAL would
 * only warn and ignore a misspelt one). A driver that lists none is taken at its word. */
static gp_status check_own_options(gp_context *ctx, const gp_layer *l, const char *role,
                                   const char *shown, char *const *own)
{
    GDALDriverH drv = GDALGetDatasetDriver(l->ds);
    const char *xml = drv ? GDALGetMetadataItem(drv, GDAL_DMD_OPENOPTIONLIST, NULL) : NULL;
    char why[512];
    for (int i = 0; own != NULL && own[i] != NULL; i++) {
        if (gp_gdal_option_check(xml, own[i], why, sizeof why) == 0) {
            return gp_error(
                ctx, GP_ERR_ARG, "%s: %s: GDAL's %s driver %s open option '%.*s' (|option:%s)%s%s",
                role, shown, GDALGetDriverShortName(drv),
                strcmp(why, "no such option") == 0 ? "has no" : "takes another value for its",
                (int)strcspn(own[i], "="), own[i], own[i],
                strcmp(why, "no such option") == 0 ? "" : ": ",
                strcmp(why, "no such option") == 0 ? "" : why);
        }
    }
    return GP_OK;
}

/* Open a file (or any non-PostgreSQL source) and pick its layer: the named one, the one at
 * `index` (>= 0), else the only one. `shown` is the path as messages show it. */
static gp_status open_file(gp_context *ctx, gp_layer *l, const char *role, const char *shown,
                           const gp_layer_spec *spec, const gp_layer_settings *settings)
{
    char **oo = merged_options(spec->open_options, settings);
    l->ds =
        GDALOpenEx(l->path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)oo, NULL);
    CSLDestroy(oo);
    const char *layer_name = spec->name;
    if (l->ds == NULL) {
        if (gp_fs_kind_of(l->path) == GP_FS_NONE) {
            return gp_error(ctx, GP_ERR_IO, "%s: %s: no such file", role, shown);
        }
        return gp_error(ctx, GP_ERR_IO, "%s: %s: cannot open as a vector data source%s%s", role,
                        shown, ctx->engine_error[0] ? ": " : "", ctx->engine_error);
    }
    gp_status st = check_own_options(ctx, l, role, shown, spec->open_options);
    if (st != GP_OK) {
        return st;
    }
    int n_layers = GDALDatasetGetLayerCount(l->ds);
    if (layer_name != NULL) {
        l->layer = GDALDatasetGetLayerByName(l->ds, layer_name);
        if (l->layer == NULL) {
            return gp_error(ctx, GP_ERR_INPUT, "%s: %s: no layer named '%s' (it has %d layer%s)",
                            role, shown, layer_name, n_layers, n_layers == 1 ? "" : "s");
        }
    } else if (spec->index >= 0) {
        if (spec->index >= n_layers) {
            return gp_error(ctx, GP_ERR_INPUT,
                            "%s: %s: no layer %d (|layerid= counts from 0; it has %d layer%s)",
                            role, shown, (int)spec->index, n_layers, n_layers == 1 ? "" : "s");
        }
        l->layer = GDALDatasetGetLayer(l->ds, spec->index);
    } else if (n_layers == 1) {
        l->layer = GDALDatasetGetLayer(l->ds, 0);
    } else {
        return gp_error(ctx, GP_ERR_INPUT,
                        "%s: %s: has %d layers; name one as PATH:LAYER or PATH|layername=LAYER",
                        role, shown, n_layers);
    }
    return GP_OK;
}

/* The settings' assumed CRS, for a layer without one. */
static gp_status assume_crs(gp_context *ctx, gp_layer *l, const char *role,
                            const gp_layer_settings *settings)
{
    if (settings == NULL || settings->assume_crs == NULL) {
        return GP_OK;
    }
    int undefined = 0;
    if (gp_layer_srs(l, &undefined) != NULL) {
        return GP_OK;
    }
    l->assumed = OSRNewSpatialReference(NULL);
    if (l->assumed == NULL) {
        return gp_error_nomem(ctx, "a CRS");
    }
    if (OSRSetFromUserInput(l->assumed, settings->assume_crs) != OGRERR_NONE) {
        return gp_error(ctx, GP_ERR_CRS,
                        "%s: the CRS assumed for inputs without one, '%s', is "
                        "not one GDAL knows",
                        role, settings->assume_crs);
    }
    OSRSetAxisMappingStrategy(l->assumed, OAMS_TRADITIONAL_GIS_ORDER);
    return GP_OK;
}

OGRSpatialReferenceH gp_layer_srs(const gp_layer *layer, int *undefined)
{
    OGRSpatialReferenceH srs = OGR_L_GetSpatialRef(layer->layer);
    const char *name = srs ? OSRGetName(srs) : NULL;
    if (undefined != NULL) {
        *undefined = 0;
    }
    int placeholder = name != NULL && (strcmp(name, "Undefined geographic SRS") == 0 ||
                                       strcmp(name, "Undefined Cartesian SRS") == 0);
    if (srs != NULL && !placeholder) {
        return srs;
    }
    if (undefined != NULL) {
        *undefined = placeholder && layer->assumed == NULL;
    }
    return layer->assumed;
}

/* Connect to a PostgreSQL database and pick the table: the named one, else the only one its
 * connection string names with tables=. A database is not a file: it never picks a table by
 * itself, and failing to connect is not "no such file". */
static gp_status open_pg(gp_context *ctx, gp_layer *l, const char *role, const char *shown,
                         const char *table, const gp_layer_settings *settings)
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
    char **oo = merged_options(NULL, settings);
    l->ds =
        GDALOpenEx(target, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, (const char *const *)oo, NULL);
    CSLDestroy(oo);
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

gp_status gp_layer_open_with(gp_context *ctx, const char *spec, const char *role,
                             const gp_layer_settings *settings, gp_layer **out)
{
    gp_status st = GP_OK;
    gp_layer *l = NULL;
    gp_layer_spec parts = {.index = -1};
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
    st = gp_layer_parse_spec(ctx, spec, &parts);
    if (st != GP_OK) {
        goto done;
    }
    l->path = parts.path;
    parts.path = NULL;
    shown = gp_layer_source_label(l->path);
    if (shown == NULL) {
        st = gp_error_nomem(ctx, "a layer path");
        goto done;
    }
    ctx->engine_error[0] = '\0';
    st = is_pg(l->path) ? open_pg(ctx, l, role, shown, parts.name, settings)
                        : open_file(ctx, l, role, shown, &parts, settings);
    if (st != GP_OK || (st = assume_crs(ctx, l, role, settings)) != GP_OK) {
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
    gp_layer_spec_clear(&parts);
    gp_free(shown);
    if (st != GP_OK) {
        gp_layer_close(l);
        l = NULL;
    }
    *out = l;
    return st;
}

gp_status gp_layer_open(gp_context *ctx, const char *spec, const char *role, gp_layer **out)
{
    return gp_layer_open_with(ctx, spec, role, NULL, out);
}

gp_status gp_layer_need_geometry(gp_context *ctx, const gp_layer *layer, const char *role)
{
    if (OGR_FD_GetGeomFieldCount(OGR_L_GetLayerDefn(layer->layer)) > 0) {
        return GP_OK;
    }
    return gp_error(ctx, GP_ERR_INPUT,
                    "%s: %s has no geometry column; for a CSV name its coordinate columns "
                    "(open options X_POSSIBLE_NAMES=lon, Y_POSSIBLE_NAMES=lat, or "
                    "GEOM_POSSIBLE_NAMES=wkt; CLI --oo KEY=VALUE)",
                    role, layer->label);
}

void gp_layer_close(gp_layer *layer)
{
    if (layer == NULL) {
        return;
    }
    if (layer->ds != NULL) {
        GDALClose(layer->ds);
    }
    if (layer->assumed != NULL) {
        OSRDestroySpatialReference(layer->assumed);
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
