{
  "targets": [
    {
      "target_name": "tcplab_tun",
      "sources": ["native/addon.cc", "native/tx_writer.cc"],
      "conditions": [
        ["OS=='linux'", { "sources": ["native/tun_linux.cc"] }]
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-O2", "-Wall", "-Wextra"]
    }
  ]
}
