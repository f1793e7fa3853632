/*
 * nr_plugin.hpp: the header-only C++17 SDK for nylon-ring plugins (ABI {{ cookiecutter.abi }}).
 *
 *     NYLON_RING_PLUGIN("my-plugin", "0.1.0", plugin) {
 *         plugin.unary("echo", [](const nylon_ring::sdk::Request &req, nylon_ring::sdk::Responder &res) {
 *             res.ok(req.payload());
 *             return nylon_ring::Status::Ok;
 *         });
 *     }
 *
 * Use the macro in exactly one source file: it defines the exported symbols. The
 * rules the SDK keeps are described in nr_core.hpp (shared by both ABI generations);
 * nr_abi{{ cookiecutter.abi }}.hpp is the thin layer that talks to this generation's vtable.
 */
#ifndef NR_PLUGIN_HPP
#define NR_PLUGIN_HPP

#include "nr_abi{{ cookiecutter.abi }}.hpp"

#endif /* NR_PLUGIN_HPP */
