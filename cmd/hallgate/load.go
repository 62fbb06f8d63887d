package main

import (
	"flag"

	"github.com/hallgate/hallgate/config"
)

// configFlags are the flags every store-touching subcommand shares. Flags
// win over HALLGATE_* variables, which win over the file, which wins over
// the defaults.
type configFlags struct {
	path    string
	addr    string
	dataDir string
}

func (f *configFlags) register(fs *flag.FlagSet, withAddr bool) {
	fs.StringVar(&f.path, "config", "", "YAML configuration file (env HALLGATE_CONFIG)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (env HALLGATE_DATA_DIR, default ./data)")
	if withAddr {
		fs.StringVar(&f.addr, "addr", "", "listen address (env HALLGATE_ADDR, default :8080)")
	}
}

// load reads the configuration; it does not validate it.
func (f *configFlags) load(env *cliEnv) (config.Config, error) {
	path := f.path
	if path == "" {
		path, _ = env.lookupEnv("HALLGATE_CONFIG")
	}
	cfg, err := config.Load(path, env.lookupEnv)
	if err != nil {
		return cfg, err
	}
	if f.addr != "" {
		cfg.Server.Addr = f.addr
	}
	if f.dataDir != "" {
		cfg.Server.DataDir = f.dataDir
	}
	return cfg, nil
}
