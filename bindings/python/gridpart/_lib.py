# SPDX-License-Identifier: MIT
"""Loading libgridpart and declaring every C function it exports (one table, like llvmlite)."""

import ctypes
import ctypes.util
import os
import threading
from ctypes import POINTER, c_char_p, c_double, c_int32, c_int64, c_size_t, c_uint64, c_void_p

# The oldest library this binding works with: it declares functions added in 0.2. A library
# is compatible when it has the same major version and is at least this recent; below 1.0,
# where a minor release may change the API, the minor version must match too.
MIN_VERSION = (0, 3, 0)


class _Handle(ctypes.Structure):
    """Opaque C struct; each handle kind gets its own subclass so pointers cannot be mixed."""


class Context(_Handle):
    pass


class Options(_Handle):
    pass


class Graph(_Handle):
    pass


class Partition(_Handle):
    pass


class Inputs(_Handle):
    pass


class Plan(_Handle):
    pass


class Outputs(_Handle):
    pass


ContextP = POINTER(Context)
OptionsP = POINTER(Options)
GraphP = POINTER(Graph)
PartitionP = POINTER(Partition)
InputsP = POINTER(Inputs)
PlanP = POINTER(Plan)
OutputsP = POINTER(Outputs)

status = c_int32
i32p = POINTER(c_int32)
i64p = POINTER(c_int64)
f64p = POINTER(c_double)

LOG_FN = ctypes.CFUNCTYPE(None, c_int32, c_char_p, c_void_p)
PROGRESS_FN = ctypes.CFUNCTYPE(c_int32, c_double, c_char_p, c_void_p)

# name: (restype, argtypes). Every exported function is declared here and nowhere else.
FUNCTIONS = {
    "gp_status_string": (c_char_p, [status]),
    "gp_version": (c_char_p, []),
    "gp_version_number": (c_int32, []),
    "gp_free": (None, [c_void_p]),
    # context
    "gp_context_new": (status, [POINTER(ContextP)]),
    "gp_context_free": (None, [ContextP]),
    "gp_context_last_error": (c_char_p, [ContextP]),
    "gp_context_last_status": (status, [ContextP]),
    "gp_context_clear_error": (None, [ContextP]),
    "gp_context_set_log": (status, [ContextP, LOG_FN, c_int32, c_void_p]),
    "gp_context_set_progress": (status, [ContextP, PROGRESS_FN, c_void_p]),
    # options
    "gp_options_new": (status, [POINTER(OptionsP)]),
    "gp_options_clone": (status, [OptionsP, POINTER(OptionsP)]),
    "gp_options_free": (None, [OptionsP]),
    "gp_options_set_bounds": (status, [ContextP, OptionsP, c_int64, c_int64]),
    "gp_options_set_target": (status, [ContextP, OptionsP, c_int64]),
    "gp_options_set_grid_count": (status, [ContextP, OptionsP, c_int32]),
    "gp_options_set_seed": (status, [ContextP, OptionsP, c_uint64]),
    "gp_options_set_threads": (status, [ContextP, OptionsP, c_int32]),
    "gp_options_set_snap_tolerance": (status, [ContextP, OptionsP, c_double]),
    "gp_options_set_sliver_area": (status, [ContextP, OptionsP, c_double]),
    "gp_options_set_effort": (status, [ContextP, OptionsP, c_double]),
    "gp_options_set_time_limit": (status, [ContextP, OptionsP, c_double]),
    "gp_options_set_split": (status, [ContextP, OptionsP, c_int32]),
    "gp_options_get_min": (c_int64, [OptionsP]),
    "gp_options_get_max": (c_int64, [OptionsP]),
    "gp_options_get_target": (c_int64, [OptionsP]),
    "gp_options_get_grid_count": (c_int32, [OptionsP]),
    "gp_options_get_seed": (c_uint64, [OptionsP]),
    "gp_options_get_threads": (c_int32, [OptionsP]),
    "gp_options_get_snap_tolerance": (c_double, [OptionsP]),
    "gp_options_get_sliver_area": (c_double, [OptionsP]),
    "gp_options_get_effort": (c_double, [OptionsP]),
    "gp_options_get_time_limit": (c_double, [OptionsP]),
    "gp_options_get_split": (c_int32, [OptionsP]),
    "gp_options_set_work_crs": (status, [ContextP, OptionsP, c_char_p]),
    "gp_options_set_overlaps": (status, [ContextP, OptionsP, c_int32]),
    "gp_options_get_overlaps": (c_int32, [OptionsP]),
    "gp_options_get_work_crs": (c_char_p, [OptionsP]),
    # staffing (since 0.3)
    "gp_options_set_staffing": (status, [ContextP, OptionsP, c_char_p]),
    "gp_options_get_staffing": (c_int32, [OptionsP]),
    "gp_options_staffing_text": (c_int32, [OptionsP, c_char_p, c_size_t]),
    "gp_staffing_required": (c_int64, [OptionsP, c_int64, c_double, c_int32]),
    "gp_inputs_set_workers": (status, [ContextP, InputsP, c_char_p, c_char_p, c_char_p,
                                       c_char_p]),
    "gp_inputs_set_residents_field": (status, [ContextP, InputsP, c_char_p]),
    "gp_plan_grid_worker": (c_char_p, [PlanP, c_int32]),
    "gp_plan_has_staffing": (c_int32, [PlanP]),
    "gp_plan_community_staffing_required": (c_int64, [PlanP, c_int32]),
    "gp_plan_community_staffing_roster": (c_int32, [PlanP, c_int32]),
    "gp_plan_community_residents": (c_double, [PlanP, c_int32]),
    "gp_plan_worker_count": (c_int32, [PlanP]),
    "gp_plan_worker_id": (c_char_p, [PlanP, c_int32]),
    "gp_plan_worker_community": (c_int32, [PlanP, c_int32]),
    "gp_plan_worker_grids": (c_int32, [PlanP, c_int32]),
    "gp_plan_worker_grid_codes": (c_char_p, [PlanP, c_int32]),
    "gp_plan_worker_households": (c_int64, [PlanP, c_int32]),
    "gp_plan_worker_workload": (c_double, [PlanP, c_int32]),
    "gp_plan_worker_feature": (c_int64, [PlanP, c_int32]),
    # results in memory (0.3): caller buffers, sizes first
    "gp_plan_grid_wkb_size": (c_size_t, [PlanP, c_int32]),
    "gp_plan_grid_wkb": (status, [ContextP, PlanP, c_int32, c_void_p, c_size_t]),
    "gp_plan_block_count": (c_int32, [PlanP]),
    "gp_plan_block_id": (c_int64, [PlanP, c_int32]),
    "gp_plan_block_community": (c_int32, [PlanP, c_int32]),
    "gp_plan_block_grid": (c_int32, [PlanP, c_int32]),
    "gp_plan_block_households": (c_int64, [PlanP, c_int32]),
    "gp_plan_block_on_streets": (c_int32, [PlanP, c_int32]),
    "gp_plan_block_wkb_size": (c_size_t, [PlanP, c_int32]),
    "gp_plan_block_wkb": (status, [ContextP, PlanP, c_int32, c_void_p, c_size_t]),
    "gp_plan_household_count": (c_int64, [PlanP]),
    "gp_plan_household_grids": (status, [ContextP, PlanP, i64p, i32p, c_int64]),
    "gp_plan_household_grid": (status, [ContextP, PlanP, c_int64, i32p]),
    # the output CRS as WKT (0.3, issue #14)
    "gp_plan_crs_wkt_size": (c_size_t, [PlanP]),
    "gp_plan_crs_wkt": (status, [ContextP, PlanP, c_void_p, c_size_t]),
    # layers given as arrays (0.3): n, WKB pointers, sizes, ids, the field, the CRS
    "gp_inputs_set_communities_wkb": (status, [ContextP, InputsP, c_int64, POINTER(c_void_p),
                                               POINTER(c_size_t), i64p, POINTER(c_char_p),
                                               c_char_p]),
    "gp_inputs_set_streets_wkb": (status, [ContextP, InputsP, c_int64, POINTER(c_void_p),
                                           POINTER(c_size_t), i64p, POINTER(c_char_p),
                                           c_char_p]),
    "gp_inputs_set_households_wkb": (status, [ContextP, InputsP, c_int64, POINTER(c_void_p),
                                              POINTER(c_size_t), i64p, i64p, c_char_p]),
    "gp_inputs_set_households_wkb_fields": (status, [ContextP, InputsP, c_int64,
                                                     POINTER(c_void_p), POINTER(c_size_t),
                                                     i64p, i64p, c_int32, POINTER(c_char_p),
                                                     POINTER(f64p), c_char_p]),
    "gp_inputs_set_barriers_wkb": (status, [ContextP, InputsP, c_int64, POINTER(c_void_p),
                                            POINTER(c_size_t), i64p, c_char_p]),
    # graph and optimizer
    "gp_graph_new": (status, [ContextP, c_int32, i32p, i32p, POINTER(GraphP)]),
    "gp_graph_free": (None, [GraphP]),
    "gp_graph_set_households": (status, [ContextP, GraphP, i64p]),
    "gp_graph_set_workload": (status, [ContextP, GraphP, f64p]),
    "gp_graph_set_edges": (status, [ContextP, GraphP, f64p, f64p]),
    "gp_graph_set_shape": (status, [ContextP, GraphP, f64p, f64p]),
    "gp_graph_set_previous": (status, [ContextP, GraphP, i32p]),
    "gp_graph_partition": (status, [ContextP, GraphP, OptionsP, POINTER(PartitionP)]),
    "gp_partition_free": (None, [PartitionP]),
    "gp_partition_vertex_count": (c_int32, [PartitionP]),
    "gp_partition_grid_count": (c_int32, [PartitionP]),
    "gp_partition_assignment": (i32p, [PartitionP]),
    "gp_partition_grid_households": (c_int64, [PartitionP, c_int32]),
    "gp_partition_grid_workload": (c_double, [PartitionP, c_int32]),
    "gp_partition_grid_vertices": (c_int32, [PartitionP, c_int32]),
    "gp_partition_grid_polsby_popper": (c_double, [PartitionP, c_int32]),
    "gp_partition_cut_cost": (c_double, [PartitionP]),
    "gp_partition_workload_ratio": (c_double, [PartitionP]),
    "gp_partition_mean_polsby_popper": (c_double, [PartitionP]),
    "gp_partition_households_moved": (c_int64, [PartitionP]),
    "gp_partition_out_of_bounds": (c_int32, [PartitionP]),
    "gp_partition_problem_count": (c_int32, [PartitionP]),
    "gp_partition_problem_kind": (c_int32, [PartitionP, c_int32]),
    "gp_partition_problem_vertex": (c_int32, [PartitionP, c_int32]),
    "gp_partition_problem_message": (c_char_p, [PartitionP, c_int32]),
    "gp_partition_graph": (status, [ContextP, c_int32, i32p, i32p, f64p, i64p, OptionsP, i32p,
                                    i32p]),
    # pipeline
    "gp_inputs_new": (status, [POINTER(InputsP)]),
    "gp_inputs_free": (None, [InputsP]),
    "gp_inputs_set_communities": (status, [ContextP, InputsP, c_char_p, c_char_p]),
    "gp_inputs_set_streets": (status, [ContextP, InputsP, c_char_p, c_char_p]),
    "gp_inputs_set_households": (status, [ContextP, InputsP, c_char_p, c_char_p]),
    "gp_inputs_set_barriers": (status, [ContextP, InputsP, c_char_p]),
    # workload (0.3)
    "gp_inputs_add_weight": (status, [ContextP, InputsP, c_char_p, c_double]),
    "gp_inputs_add_extra_load": (status, [ContextP, InputsP, c_char_p, c_char_p]),
    "gp_options_set_balance": (status, [ContextP, OptionsP, c_int32]),
    "gp_options_set_max_workload": (status, [ContextP, OptionsP, c_double]),
    "gp_plan_extra_load_read": (c_double, [PlanP]),
    "gp_plan_extra_load_outside": (c_double, [PlanP]),
    "gp_run": (status, [ContextP, InputsP, OptionsP, POINTER(PlanP)]),
    "gp_inputs_set_previous": (status, [ContextP, InputsP, c_char_p, c_char_p, c_char_p]),
    "gp_adjust": (status, [ContextP, InputsP, OptionsP, POINTER(PlanP)]),
    "gp_plan_grid_change": (c_char_p, [PlanP, c_int32]),
    "gp_plan_is_adjust": (c_int32, [PlanP]),
    "gp_plan_households_moved": (c_int64, [PlanP]),
    "gp_plan_community_households_moved": (c_int64, [PlanP, c_int32]),
    "gp_plan_community_grid_changes": (c_int32, [PlanP, c_int32, c_int32]),
    "gp_plan_retired_count": (c_int32, [PlanP]),
    "gp_plan_retired_code": (c_char_p, [PlanP, c_int32]),
    "gp_plan_previous_fit": (c_double, [PlanP, c_int32]),
    "gp_plan_free": (None, [PlanP]),
    "gp_plan_community_count": (c_int32, [PlanP]),
    "gp_plan_community_id": (c_char_p, [PlanP, c_int32]),
    "gp_plan_community_households": (c_int64, [PlanP, c_int32]),
    "gp_plan_community_grids": (c_int32, [PlanP, c_int32]),
    "gp_plan_community_blocks": (c_int32, [PlanP, c_int32]),
    "gp_plan_community_workload_ratio": (c_double, [PlanP, c_int32]),
    "gp_plan_community_split_blocks": (c_int32, [PlanP, c_int32]),
    "gp_plan_grid_count": (c_int32, [PlanP]),
    "gp_plan_grid_code": (c_char_p, [PlanP, c_int32]),
    "gp_plan_grid_community": (c_int32, [PlanP, c_int32]),
    "gp_plan_grid_households": (c_int64, [PlanP, c_int32]),
    "gp_plan_grid_workload": (c_double, [PlanP, c_int32]),
    "gp_plan_grid_blocks": (c_int32, [PlanP, c_int32]),
    "gp_plan_grid_flags": (c_char_p, [PlanP, c_int32]),
    "gp_plan_out_of_bounds": (c_int32, [PlanP]),
    "gp_plan_households_read": (c_int64, [PlanP]),
    "gp_plan_features_read": (c_int64, [PlanP, c_int32]),
    "gp_plan_households_outside": (c_int64, [PlanP]),
    "gp_plan_problem_count": (c_int32, [PlanP]),
    "gp_plan_problem": (c_char_p, [PlanP, c_int32]),
    "gp_plan_problem_severity": (c_int32, [PlanP, c_int32]),
    "gp_plan_problem_kind": (c_int32, [PlanP, c_int32]),
    "gp_plan_problem_community": (c_int32, [PlanP, c_int32]),
    "gp_plan_problem_grid_code": (c_char_p, [PlanP, c_int32]),
    "gp_plan_problem_blocks": (i64p, [PlanP, c_int32, i32p]),
    "gp_plan_problem_features": (i64p, [PlanP, c_int32, i32p]),
    "gp_problem_kind_name": (c_char_p, [c_int32]),
    "gp_plan_write": (status, [ContextP, PlanP, c_char_p, c_char_p]),
    "gp_plan_write_report": (status, [ContextP, PlanP, c_char_p]),
    # returns memory the caller frees with gp_free: declared as a void** so that the pointer
    # is not converted to bytes (and lost) by ctypes
    "gp_plan_report_json": (status, [ContextP, PlanP, POINTER(c_void_p)]),
    "gp_plan_write_map": (status, [ContextP, PlanP, c_char_p]),
    # outputs
    "gp_outputs_new": (status, [POINTER(OutputsP)]),
    "gp_outputs_free": (None, [OutputsP]),
    "gp_outputs_set_layers": (status, [ContextP, OutputsP, c_char_p, c_char_p]),
    "gp_outputs_set_report": (status, [ContextP, OutputsP, c_char_p]),
    "gp_outputs_set_map": (status, [ContextP, OutputsP, c_char_p]),
    # whole-city maps (0.3): overview + one sheet per community; what the fills tell apart
    "gp_outputs_set_map_sheets": (status, [ContextP, OutputsP, c_char_p]),
    "gp_outputs_set_map_colour": (status, [ContextP, OutputsP, c_int32]),
    "gp_plan_write_map_sheets": (status, [ContextP, PlanP, c_char_p]),
    # whole-city maps (0.3): overview + one sheet per community; what the fills tell apart
    "gp_outputs_set_map_sheets": (status, [ContextP, OutputsP, c_char_p]),
    "gp_outputs_set_map_colour": (status, [ContextP, OutputsP, c_int32]),
    "gp_plan_write_map_sheets": (status, [ContextP, PlanP, c_char_p]),
    "gp_outputs_set_overwrite": (status, [ContextP, OutputsP, c_int32]),
    # GDAL conventions (0.3): open options, assumed CRS, creation options
    "gp_inputs_add_open_option": (status, [ContextP, InputsP, c_char_p]),
    "gp_inputs_set_assume_crs": (status, [ContextP, InputsP, c_char_p]),
    "gp_inputs_set_only": (status, [ContextP, InputsP, POINTER(c_char_p), c_size_t]),
    "gp_inputs_set_bbox": (status, [ContextP, InputsP, c_double, c_double, c_double, c_double]),
    "gp_outputs_add_layer_option": (status, [ContextP, OutputsP, c_char_p]),
    "gp_outputs_add_dataset_option": (status, [ContextP, OutputsP, c_char_p]),
    "gp_outputs_check": (status, [ContextP, OutputsP, InputsP]),
    "gp_plan_write_outputs": (status, [ContextP, PlanP, OutputsP]),
    # check: audit an existing grids layer (0.3)
    "gp_inputs_set_grids": (status, [ContextP, InputsP, c_char_p, c_char_p, c_char_p]),
    "gp_check": (status, [ContextP, InputsP, OptionsP, POINTER(PlanP)]),
    "gp_plan_grid_off_streets": (c_double, [PlanP, c_int32]),
    "gp_plan_households_no_grid": (c_int64, [PlanP]),
    "gp_plan_hard_failures": (c_int32, [PlanP]),
}


def compatible(version):
    """Whether a library version string ("0.2.1") works with this binding (MIN_VERSION)."""
    try:
        have = tuple(int(x) for x in version.split(".")[:3])
    except ValueError:
        return False
    if len(have) != 3 or have[0] != MIN_VERSION[0] or have < MIN_VERSION:
        return False
    return have[0] > 0 or have[1] == MIN_VERSION[1]


def _candidates():
    env = os.environ.get("GRIDPART_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.path.normpath(os.path.join(here, "..", "..", ".."))]
    try:  # an installed package: the source tree it was installed from (setup.py)
        from ._install import SOURCE_ROOT
        roots.append(SOURCE_ROOT)
    except ImportError:
        pass
    for root in roots:
        for build in ("build", "builddir"):
            yield os.path.join(root, build, "libgridpart.so")
    found = ctypes.util.find_library("gridpart")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.path.sep in path and not os.path.exists(path):
            tried.append(path + " (absent)")
            continue
        try:
            lib = ctypes.CDLL(path)  # CDLL releases the GIL around every call
        except OSError as e:
            tried.append(f"{path} ({e})")
            continue
        lib.gp_version.restype = c_char_p
        lib.gp_version.argtypes = []
        version = lib.gp_version().decode()
        if not compatible(version):
            need = ".".join(map(str, MIN_VERSION))
            raise ImportError(
                f"gridpart: {path} is version {version}; this binding needs a library "
                f"compatible with {need} (same major version, at least {need})"
            )
        for name, (restype, argtypes) in FUNCTIONS.items():
            fn = getattr(lib, name)
            fn.restype = restype
            fn.argtypes = argtypes
        return lib, path
    raise ImportError(
        "gridpart: cannot find libgridpart; set GRIDPART_LIBRARY or build with meson "
        "(tried: " + "; ".join(tried or ["nothing"]) + ")"
    )


lib, path = _load()

_local = threading.local()


def context():
    """This thread's context (created on first use, freed when the thread ends)."""
    ctx = getattr(_local, "ctx", None)
    if ctx is None:
        ctx = _ThreadContext()
        _local.ctx = ctx
    return ctx.ptr


class _ThreadContext:
    def __init__(self):
        ptr = ContextP()
        st = lib.gp_context_new(ctypes.byref(ptr))
        if st != 0:
            raise MemoryError("gridpart: cannot create a context")
        self.ptr = ptr

    def __del__(self):
        if getattr(self, "ptr", None):
            lib.gp_context_free(self.ptr)
            self.ptr = None
