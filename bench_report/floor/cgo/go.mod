module cgofloor

go 1.21
