# What every form's failure page says.
form-failed = This could not be done
form-fix-fields = Please correct these fields:
form-failed-status = Status { $status }
form-back = Back to the form
