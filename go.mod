module github.com/influx-py/influx-py

go 1.26.8
