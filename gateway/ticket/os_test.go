package ticket

import "os"

var osReadFile = os.ReadFile
