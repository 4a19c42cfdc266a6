/* SPDX-License-Identifier: MIT */
/** @file test_order.c The same features in any order give the same grids and blocks. */

#define GEOS_USE_ONLY_R_API
#include <geos_c.h>

#include "core/context.h"
#include "pipeline/plan.h"

#include <cpl_vsi.h>
#include <criterion/criterion.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Providence clean (../shared/data/providence/clean) run through gp_run with its streets,
 * households and barriers in layer order, reversed, shuffled, and as FlatGeobuf with a spatial
 * index (which stores features in Hilbert order). The copies are written into /vsimem/ by the
 * test. Streets get one of three classes by their feature id in the source, so that the
 * classes are met in a different order in each copy. The barriers are a railway across the
 * city (the diagonal of the communities' extent) in BARRIER_PIECES features, which cuts street
 * blocks. Every copy must give the same plan: grid codes, households and shapes, block
 * ids, their grid, households and shapes.
 */

enum { ORDER_LAYER, ORDER_REVERSED, ORDER_SHUFFLED, ORDER_FGB, N_ORDERS };
static const char *const ORDER_NAME[N_ORDERS] = {"layer", "reversed", "shuffled", "flatgeobuf"};

/* Features of the railway. */
#define BARRIER_PIECES 40

static gp_context *ctx;
static gp_options *opts;
static GEOSContextHandle_t geos;

static void setup(void)
{
    GDALAllRegister();
    cr_assert_eq(gp_context_new(&ctx), GP_OK);
    cr_assert_eq(gp_options_new(&opts), GP_OK);
    geos = gp_ctx_geos(ctx);
    cr_assert_not_null(geos);
}

static void teardown(void)
{
    gp_options_free(opts);
    gp_context_free(ctx);
}

TestSuite(order, .init = setup, .fini = teardown);

static const char *providence(const char *layer)
{
    static char paths[4][1024];
    static int slot;
    const char *dir = getenv("GP_PROVIDENCE");
    cr_assert_not_null(dir, "GP_PROVIDENCE is not set (run through meson test)");
    char *p = paths[slot++ % 4];
    snprintf(p, 1024, "%s/%s.gpkg", dir, layer);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f,
                       "%s is absent: put the shared data beside the repository (../shared) "
                       "or configure with -Dshared_dir=PATH",
                       p);
    fclose(f);
    return p;
}

/* A permutation of n: identity, reversed or shuffled (a fixed xorshift, so reruns agree). */
static int64_t *permutation(int64_t n, int kind)
{
    int64_t *perm = malloc((size_t)(n > 0 ? n : 1) * sizeof *perm);
    cr_assert_not_null(perm);
    for (int64_t i = 0; i < n; i++) {
        perm[i] = kind == ORDER_REVERSED ? n - 1 - i : i;
    }
    if (kind == ORDER_SHUFFLED) {
        uint64_t s = 0x9E3779B97F4A7C15u;
        for (int64_t i = n - 1; i > 0; i--) {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            int64_t j = (int64_t)(s % (uint64_t)(i + 1));
            int64_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
    }
    return perm;
}

typedef enum { COPY_AS_IS, COPY_STREETS, COPY_BARRIERS } copy_what;

/* A railway along the diagonal of `src`'s extent, cut into BARRIER_PIECES features. */
static int64_t railway_pieces(OGRLayerH src, OGRFeatureDefnH defn, OGRFeatureH **out)
{
    OGREnvelope e;
    cr_assert_eq(OGR_L_GetExtent(src, &e, TRUE), OGRERR_NONE);
    OGRFeatureH *feat = malloc(BARRIER_PIECES * sizeof *feat);
    cr_assert_not_null(feat);
    for (int i = 0; i < BARRIER_PIECES; i++) {
        OGRGeometryH line = OGR_G_CreateGeometry(wkbLineString);
        for (int j = i; j <= i + 1; j++) {
            double t = (double)j / BARRIER_PIECES; /* the same t, so pieces meet exactly */
            OGR_G_AddPoint_2D(line, e.MinX + t * (e.MaxX - e.MinX), e.MinY + t * (e.MaxY - e.MinY));
        }
        feat[i] = OGR_F_Create(defn);
        OGR_F_SetFID(feat[i], i);
        OGR_F_SetGeometryDirectly(feat[i], line);
    }
    *out = feat;
    return BARRIER_PIECES;
}

/*
 * Copy layer `src` into a new dataset `dst` with its features in the order `kind`. Streets get
 * a class from their source fid; barriers are railway_pieces over src's extent. Returns dst.
 */
static const char *copy_layer(const char *src, const char *dst, int kind, copy_what what)
{
    OGRDataSourceH in = OGROpen(src, 0, NULL);
    cr_assert_not_null(in, "cannot open %s", src);
    OGRLayerH li = OGR_DS_GetLayer(in, 0);
    OGRFeatureDefnH defn = OGR_L_GetLayerDefn(li);
    int64_t n = 0, cap = 0;
    OGRFeatureH *feat = NULL;
    OGRFeatureH f;
    OGR_L_ResetReading(li);
    if (what == COPY_BARRIERS) {
        defn = OGR_FD_Create("barriers");
        OGR_FD_SetGeomType(defn, wkbLineString);
        OGR_FD_Reference(defn);
        n = railway_pieces(li, defn, &feat);
    }
    while (what != COPY_BARRIERS && (f = OGR_L_GetNextFeature(li)) != NULL) {
        if (n == cap) {
            cap = cap ? 2 * cap : 1024;
            feat = realloc(feat, (size_t)cap * sizeof *feat);
            cr_assert_not_null(feat);
        }
        feat[n++] = f;
    }
    int fgb = kind == ORDER_FGB;
    OGRSFDriverH drv = OGRGetDriverByName(fgb ? "FlatGeobuf" : "GPKG");
    cr_assert_not_null(drv);
    OGRDataSourceH out = OGR_Dr_CreateDataSource(drv, dst, NULL);
    cr_assert_not_null(out, "cannot create %s", dst);
    char *lopts[] = {fgb ? "SPATIAL_INDEX=YES" : NULL, NULL};
    OGRLayerH lo = OGR_DS_CreateLayer(out, OGR_FD_GetName(defn), OGR_L_GetSpatialRef(li),
                                      OGR_FD_GetGeomType(defn), lopts);
    cr_assert_not_null(lo);
    for (int i = 0; i < OGR_FD_GetFieldCount(defn); i++) {
        cr_assert_eq(OGR_L_CreateField(lo, OGR_FD_GetFieldDefn(defn, i), TRUE), OGRERR_NONE);
    }
    int cls = OGR_FD_GetFieldIndex(defn, "class");
    static const char *const CLASS[] = {"residential", "primary", "footway"};
    int64_t *perm = permutation(n, kind);
    cr_assert_eq(OGR_L_StartTransaction(lo), OGRERR_NONE);
    for (int64_t k = 0; k < n; k++) {
        OGRFeatureH src_f = feat[perm[k]];
        OGRFeatureH g = OGR_F_Create(OGR_L_GetLayerDefn(lo));
        cr_assert_eq(OGR_F_SetFrom(g, src_f, TRUE), OGRERR_NONE);
        if (what == COPY_STREETS && cls >= 0) {
            OGR_F_SetFieldString(g, cls, CLASS[OGR_F_GetFID(src_f) % 3]);
        }
        OGR_F_SetFID(g, OGRNullFID); /* numbered in the new order, as a rewrite would */
        cr_assert_eq(OGR_L_CreateFeature(lo, g), OGRERR_NONE);
        OGR_F_Destroy(g);
    }
    cr_assert_eq(OGR_L_CommitTransaction(lo), OGRERR_NONE);
    OGR_DS_Destroy(out);
    for (int64_t k = 0; k < n; k++) {
        OGR_F_Destroy(feat[k]);
    }
    free(feat);
    free(perm);
    if (what == COPY_BARRIERS) {
        OGR_FD_Release(defn);
    }
    OGR_DS_Destroy(in);
    return dst;
}

static gp_plan *run_order(int kind)
{
    const char *ext = kind == ORDER_FGB ? "fgb" : "gpkg";
    char streets[256], households[256], barriers[256];
    snprintf(streets, sizeof streets, "/vsimem/order/%s_streets.%s", ORDER_NAME[kind], ext);
    snprintf(households, sizeof households, "/vsimem/order/%s_households.%s", ORDER_NAME[kind],
             ext);
    snprintf(barriers, sizeof barriers, "/vsimem/order/%s_barriers.%s", ORDER_NAME[kind], ext);
    copy_layer(providence("streets"), streets, kind, COPY_STREETS);
    copy_layer(providence("households"), households, kind, COPY_AS_IS);
    copy_layer(providence("communities"), barriers, kind, COPY_BARRIERS);
    gp_inputs *in = NULL;
    gp_plan *plan = NULL;
    cr_assert_eq(gp_inputs_new(&in), GP_OK);
    cr_assert_eq(gp_inputs_set_communities(ctx, in, providence("communities"), "code"), GP_OK);
    cr_assert_eq(gp_inputs_set_streets(ctx, in, streets, "class"), GP_OK);
    cr_assert_eq(gp_inputs_set_households(ctx, in, households, "households"), GP_OK);
    cr_assert_eq(gp_inputs_set_barriers(ctx, in, barriers), GP_OK);
    cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s order: %s", ORDER_NAME[kind],
                 gp_context_last_error(ctx));
    gp_inputs_free(in);
    VSIUnlink(streets);
    VSIUnlink(households);
    VSIUnlink(barriers);
    return plan;
}

static GEOSGeometry *normalized_shape(const gp_plan_shape *s)
{
    GEOSWKBReader *r = GEOSWKBReader_create_r(geos);
    GEOSGeometry *g = GEOSWKBReader_read_r(geos, r, s->wkb, s->wkb_size);
    GEOSWKBReader_destroy_r(geos, r);
    cr_assert_not_null(g);
    cr_assert_eq(GEOSNormalize_r(geos, g), 0);
    return g;
}

/* Same vertices (within 1e-6 in the output CRS) once both are normalized. */
static int same_shape(const gp_plan_shape *a, const gp_plan_shape *b)
{
    GEOSGeometry *ga = normalized_shape(a), *gb = normalized_shape(b);
    int same = GEOSEqualsExact_r(geos, ga, gb, 1e-6) == 1;
    GEOSGeom_destroy_r(geos, ga);
    GEOSGeom_destroy_r(geos, gb);
    return same;
}

/* Number of grids of `b` that differ from `a` (code, community, households or shape). */
static int32_t grids_differing(const gp_plan *a, const gp_plan *b)
{
    cr_assert_eq(a->n_grids, b->n_grids);
    int32_t differ = 0;
    for (int32_t g = 0; g < a->n_grids; g++) {
        const gp_plan_grid *x = &a->grids[g], *y = &b->grids[g];
        differ += strcmp(x->code, y->code) != 0 || x->households != y->households ||
                  strcmp(a->communities[x->community].id, b->communities[y->community].id) != 0 ||
                  !same_shape(&x->shape, &y->shape);
    }
    return differ;
}

static int32_t blocks_differing(const gp_plan *a, const gp_plan *b)
{
    cr_assert_eq(a->n_blocks, b->n_blocks);
    int32_t differ = 0;
    for (int32_t k = 0; k < a->n_blocks; k++) {
        const gp_plan_block *x = &a->blocks[k], *y = &b->blocks[k];
        differ += x->block_id != y->block_id || x->households != y->households ||
                  x->on_streets != y->on_streets ||
                  strcmp(a->grids[x->grid].code, b->grids[y->grid].code) != 0 ||
                  !same_shape(&x->shape, &y->shape);
    }
    return differ;
}

Test(order, providence_in_any_feature_order_gives_the_same_grids_and_blocks, .timeout = 600)
{
    gp_plan *plan[N_ORDERS] = {0};
    for (int k = 0; k < N_ORDERS; k++) {
        plan[k] = run_order(k);
    }
    cr_assert_gt(plan[0]->n_grids, 100, "Providence has 177 grids, got %d", plan[0]->n_grids);
    for (int k = 1; k < N_ORDERS; k++) {
        cr_expect_eq(plan[k]->n_grids, plan[0]->n_grids, "%s order", ORDER_NAME[k]);
        cr_expect_eq(plan[k]->n_blocks, plan[0]->n_blocks, "%s order", ORDER_NAME[k]);
        if (plan[k]->n_grids != plan[0]->n_grids || plan[k]->n_blocks != plan[0]->n_blocks) {
            continue;
        }
        int32_t dg = grids_differing(plan[0], plan[k]);
        int32_t db = blocks_differing(plan[0], plan[k]);
        cr_expect_eq(dg, 0, "%s order: %d of %d grids differ from layer order", ORDER_NAME[k], dg,
                     plan[0]->n_grids);
        cr_expect_eq(db, 0, "%s order: %d of %d blocks differ from layer order", ORDER_NAME[k], db,
                     plan[0]->n_blocks);
    }
    for (int k = 0; k < N_ORDERS; k++) {
        gp_plan_free(plan[k]);
    }
}

/*
 * A household exactly on the border of two communities goes to the one with the lower id,
 * whichever comes first in the layer. Communities "B" = [0,200] x [0,200] and "A" = [200,400]
 * x [0,200] (EPSG:32650), each split by a street; the household at (200, 100) is on both.
 */
static const char *write_text(const char *path, const char *text)
{
    VSILFILE *f = VSIFOpenL(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(VSIFWriteL(text, 1, strlen(text), f), strlen(text));
    VSIFCloseL(f);
    return path;
}

#define CRS "\"crs\":{\"type\":\"name\",\"properties\":{\"name\":\"urn:ogc:def:crs:EPSG::32650\"}},"
#define SQUARE(id, x0, x1)                                                                         \
    "{\"type\":\"Feature\",\"properties\":{\"code\":\"" id                                         \
    "\"},\"geometry\":{\"type\":"                                                                  \
    "\"Polygon\",\"coordinates\":[[[" x0 ",4000000],[" x1 ",4000000],[" x1 ",4000200],[" x0        \
    ",4000200],[" x0 ",4000000]]]}}"

static int64_t households_of(const gp_plan *plan, const char *id)
{
    for (int32_t c = 0; c < plan->n_communities; c++) {
        if (strcmp(plan->communities[c].id, id) == 0) {
            return plan->communities[c].households;
        }
    }
    cr_assert_fail("community %s is not in the plan", id);
    return -1;
}

Test(order, household_on_a_shared_border_goes_to_the_lower_community_id)
{
    const char *streets =
        write_text("/vsimem/border/streets.geojson",
                   "{\"type\":\"FeatureCollection\"," CRS
                   "\"features\":["
                   "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"LineString\","
                   "\"coordinates\":[[500100,4000000],[500100,4000200]]}},"
                   "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"LineString\","
                   "\"coordinates\":[[500300,4000000],[500300,4000200]]}}]}");
    const char *households = write_text(
        "/vsimem/border/households.geojson",
        "{\"type\":\"FeatureCollection\"," CRS
        "\"features\":["
        "{\"type\":\"Feature\",\"properties\":{\"households\":100},\"geometry\":{\"type\":"
        "\"Point\",\"coordinates\":[500200,4000100]}},"
        "{\"type\":\"Feature\",\"properties\":{\"households\":10},\"geometry\":{\"type\":"
        "\"Point\",\"coordinates\":[500050,4000100]}},"
        "{\"type\":\"Feature\",\"properties\":{\"households\":20},\"geometry\":{\"type\":"
        "\"Point\",\"coordinates\":[500350,4000100]}}]}");
    const char *orders[2] = {
        write_text("/vsimem/border/ba.geojson",
                   "{\"type\":\"FeatureCollection\"," CRS "\"features\":[" SQUARE(
                       "B", "500000", "500200") "," SQUARE("A", "500200", "500400") "]}"),
        write_text("/vsimem/border/ab.geojson",
                   "{\"type\":\"FeatureCollection\"," CRS "\"features\":[" SQUARE(
                       "A", "500200", "500400") "," SQUARE("B", "500000", "500200") "]}")};
    cr_assert_eq(gp_options_set_bounds(ctx, opts, 1, 500), GP_OK);
    for (int k = 0; k < 2; k++) {
        gp_inputs *in = NULL;
        gp_plan *plan = NULL;
        cr_assert_eq(gp_inputs_new(&in), GP_OK);
        cr_assert_eq(gp_inputs_set_communities(ctx, in, orders[k], "code"), GP_OK);
        cr_assert_eq(gp_inputs_set_streets(ctx, in, streets, NULL), GP_OK);
        cr_assert_eq(gp_inputs_set_households(ctx, in, households, "households"), GP_OK);
        cr_assert_eq(gp_run(ctx, in, opts, &plan), GP_OK, "%s", gp_context_last_error(ctx));
        cr_expect_eq(households_of(plan, "A"), 120, "order %d: A holds %lld", k,
                     (long long)households_of(plan, "A"));
        cr_expect_eq(households_of(plan, "B"), 10, "order %d: B holds %lld", k,
                     (long long)households_of(plan, "B"));
        gp_plan_free(plan);
        gp_inputs_free(in);
    }
    VSIUnlink(streets);
    VSIUnlink(households);
    VSIUnlink(orders[0]);
    VSIUnlink(orders[1]);
}
