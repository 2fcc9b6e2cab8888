{
  "targets": [
    {
      "target_name": "tun",
      "sources": ["tun.c"]
    }
  ]
}
