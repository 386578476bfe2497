# What every form's failure page says.
form-failed = 未能完成
form-fix-fields = 请更正以下各项：
form-failed-status = 状态码 { $status }
form-back = 返回上一页
