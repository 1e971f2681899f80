package main
import (
 _ "github.com/pingcap/tidb/pkg/parser"
 _ "github.com/pingcap/tidb/pkg/parser/test_driver"
 _ "github.com/jackc/pgx/v5/pgproto3"
 _ "github.com/jackc/pgx/v5"
 _ "github.com/twmb/franz-go/pkg/kgo"
 _ "github.com/twmb/franz-go/pkg/kadm"
 _ "github.com/twmb/franz-go/pkg/kfake"
 _ "github.com/apache/arrow-go/v18/arrow"
 _ "github.com/cockroachdb/pebble/v2"
 _ "github.com/cockroachdb/datadriven"
 _ "github.com/prometheus/client_golang/prometheus"
 _ "golang.org/x/sync/errgroup"
)
func main(){}
